"""What the codes are used for: encoding, maps, PCA, outliers, features, neighbours and duplicates."""
