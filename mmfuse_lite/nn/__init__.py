"""Neural network building blocks, one module per concept."""
from .autoencoder import Autoencoder, Decoder, Encoder, conv_block
from .audio import SoundEncoder
from .contrastive import CLIP, class_embeddings, clip_loss, info_nce, multi_positive_info_nce, recall_at_k
from .features import Features, masked_mean, to_grid
from .fusion import (ConcatFusion, CrossAttention, CrossAttentionFusion, EarlyFusion, FiLMBlock, FiLMFusion,
                     LateFusion, LowRankFusion, QuestionAttentionFusion, TensorFusion, TransformerFusion,
                     mlp_head)
from .image import GridConv, GridMLP, GridTokens, ImageEncoder, PatchTokens, sincos_2d
from .multimodal import (STRATEGIES, MultimodalModel, build_model, evaluate, fit_classifier, predict,
                         vq_latents)
from .text import BagOfWords, PretrainedTextEncoder, TextEncoder, minilm_source
from .fsq import FSQ, fsq_bound
from .perceptual import FeatureNet, PerceptualLoss, perceptual_distance
from .quantize import VectorQuantizer, VQOutput, ema_update, kmeans, nearest_code
from .vqgan import (PatchDiscriminator, VQGANLoss, VQGANTrainer, adaptive_weight, fit_vqgan, hinge_d_loss,
                    hinge_g_loss)
from .vqvae import VQVAE, encode_codes, load_vqgan, vqvae_loss
from .siamese import Siamese, best_threshold, margin_loss, pair_scores, siamese_loss, verification_accuracy
from .vae import VAE, active_units, gaussian_kl, gaussian_nll, reparameterize, vae_loss

__all__ = ["Autoencoder", "Decoder", "Encoder", "conv_block", "VectorQuantizer", "VQOutput", "ema_update", "kmeans",
           "nearest_code", "VAE", "active_units", "gaussian_kl", "gaussian_nll", "reparameterize", "vae_loss", "FSQ", "fsq_bound", "VQVAE", "encode_codes", "load_vqgan", "vqvae_loss", "FeatureNet", "PerceptualLoss",
           "perceptual_distance", "PatchDiscriminator", "VQGANLoss", "VQGANTrainer", "adaptive_weight", "fit_vqgan",
           "hinge_d_loss", "hinge_g_loss", "SoundEncoder", "Features", "masked_mean", "to_grid", "ConcatFusion",
           "CrossAttention", "CrossAttentionFusion", "EarlyFusion", "FiLMBlock", "FiLMFusion", "LateFusion",
           "LowRankFusion", "QuestionAttentionFusion", "TensorFusion", "TransformerFusion", "mlp_head", "ImageEncoder", "GridConv", "GridMLP", "GridTokens", "PatchTokens", "sincos_2d", "STRATEGIES",
           "MultimodalModel", "build_model", "evaluate", "fit_classifier", "predict", "vq_latents", "BagOfWords",
           "PretrainedTextEncoder", "TextEncoder", "minilm_source", "CLIP", "class_embeddings", "clip_loss", "info_nce", "multi_positive_info_nce",
           "recall_at_k", "Siamese", "best_threshold", "margin_loss", "pair_scores", "siamese_loss",
           "verification_accuracy"]
