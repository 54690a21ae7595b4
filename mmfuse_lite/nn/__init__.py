"""Neural network building blocks, one module per concept."""
from .autoencoder import Autoencoder, Decoder, Encoder, conv_block
from .fsq import FSQ, fsq_bound
from .quantize import VectorQuantizer, VQOutput, ema_update, kmeans, nearest_code
from .vqvae import VQVAE, vqvae_loss

__all__ = ["Autoencoder", "Decoder", "Encoder", "conv_block", "VectorQuantizer", "VQOutput", "ema_update", "kmeans", "nearest_code", "FSQ", "fsq_bound",
           "VQVAE", "vqvae_loss"]
