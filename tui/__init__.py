"""hptune's terminal app (Textual). Imports the core, never Keras: training runs through core.trainer.train()."""
