"""hptune's headless core: configuration, data, model, trainer, store and sweeps. Never imports the TUI."""

__version__ = "0.2.0"
