"""Local stand-ins for Zoom and Kendo, for the demo and the tests. Independent of sources/ and destinations/."""
