"""The Code space and Explore features: the maps of the codes, decoding, sliders, interpolation, neighbours."""
