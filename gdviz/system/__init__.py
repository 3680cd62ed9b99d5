"""What gdviz asks of the operating system: files written whole, free memory, progress, interrupts."""
