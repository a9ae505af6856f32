"""Glance import plugin of scs-image-hook (entry point: scs_image_hook)."""
