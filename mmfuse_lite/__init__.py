"""mmfuse_lite: the small helper package of the course *Multimodal fusion, from autoencoders to VQGAN*."""
from .runtime import Config, is_colab, is_online, setup

__version__ = "0.1.0"
__all__ = ["Config", "is_colab", "is_online", "setup", "__version__"]
