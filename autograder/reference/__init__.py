"""Reference implementations the hidden tests compare against (instructor side only)."""
