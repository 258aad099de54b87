"""The security baseline every scaffolder template shares."""
