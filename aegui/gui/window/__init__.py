"""The window's frame: the main window, menus, file actions, dialogs, status line, sizing and settings."""
