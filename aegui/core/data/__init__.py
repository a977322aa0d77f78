"""Reading data: datasets by name, image folders, photo sets, image shapes and the drawing's preprocessing."""
