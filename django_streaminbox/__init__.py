"""Direct messaging between a Django site's users, on Stream Chat."""

__version__ = "0.1.0"
