"""scaffolder: self-service project creation with security baked in."""

__version__ = "0.1.0"
