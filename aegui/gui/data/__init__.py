"""The Data feature: choosing what to train on, downloads, data folders and image folders."""
