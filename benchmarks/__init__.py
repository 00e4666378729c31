"""Side-by-side benchmarks of genlab against its peer libraries (see README.md)."""
