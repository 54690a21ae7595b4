"""Neural network building blocks, one module per concept."""
from .autoencoder import Autoencoder, Decoder, Encoder, conv_block
from .fsq import FSQ, fsq_bound
from .perceptual import FeatureNet, PerceptualLoss, perceptual_distance
from .quantize import VectorQuantizer, VQOutput, ema_update, kmeans, nearest_code
from .vqgan import (PatchDiscriminator, VQGANLoss, VQGANTrainer, adaptive_weight, fit_vqgan, hinge_d_loss,
                    hinge_g_loss)
from .vqvae import VQVAE, vqvae_loss

__all__ = ["Autoencoder", "Decoder", "Encoder", "conv_block", "VectorQuantizer", "VQOutput", "ema_update", "kmeans",
           "nearest_code", "FSQ", "fsq_bound", "VQVAE", "vqvae_loss", "FeatureNet", "PerceptualLoss",
           "perceptual_distance", "PatchDiscriminator", "VQGANLoss", "VQGANTrainer", "adaptive_weight", "fit_vqgan",
           "hinge_d_loss", "hinge_g_loss"]
