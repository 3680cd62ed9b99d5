"""Views on a figure, frame by frame: `animate`, `Animation`, its caption, sizes, overlay, and memory that follows the frames."""
