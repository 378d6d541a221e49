"""The complaint desk (Diskominfotik): complaints that reached the city through other channels."""
