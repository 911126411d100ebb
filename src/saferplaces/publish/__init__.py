"""Publishing: disclosure control, exports and renderers for published outputs."""
