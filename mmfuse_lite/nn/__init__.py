"""Neural network building blocks, one module per concept."""
from .autoencoder import Autoencoder, Decoder, Encoder, conv_block

__all__ = ["Autoencoder", "Decoder", "Encoder", "conv_block"]
