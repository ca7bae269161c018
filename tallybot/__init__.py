"""The launcher: the only package that knows every part (core, store, adapters) and wires them."""
