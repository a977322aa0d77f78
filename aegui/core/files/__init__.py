"""Files on disk: model checkpoints and exports, safe writes, the data folder and downloads."""
