"""Neural network building blocks, one module per concept."""
from .autoencoder import Autoencoder, Decoder, Encoder, conv_block
from .quantize import VectorQuantizer, VQOutput, nearest_code
from .vqvae import VQVAE, vqvae_loss

__all__ = ["Autoencoder", "Decoder", "Encoder", "conv_block", "VectorQuantizer", "VQOutput", "nearest_code",
           "VQVAE", "vqvae_loss"]
