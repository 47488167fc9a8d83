"""bdev: an autonomous backend developer whose every reported number is measured."""

__version__ = "0.1.0"
