"""Save and load weights as safetensors, with a JSON card beside them. Never pickle."""
from __future__ import annotations

import datetime
import json
import pathlib
import sys

import torch
from safetensors.torch import load_file, save_file


def _paths(path) -> tuple[pathlib.Path, pathlib.Path]:
    p = pathlib.Path(path)
    if p.suffix == ".safetensors":
        p = p.with_suffix("")
    return p.with_suffix(".safetensors"), p.with_suffix(".json")


def save(model: torch.nn.Module, path, config: dict | None = None, metrics: dict | None = None,
         command: str | None = None, notes: str = "") -> pathlib.Path:
    """Write ``path.safetensors`` (the weights) and ``path.json`` (the card).

    The card records the model class, its config, the metrics it scored, the
    command that trained it, and the torch version.
    """
    weights, card_path = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(weights))
    card = {"model": type(model).__name__, "config": config or {}, "metrics": metrics or {},
            "command": command or " ".join(sys.argv), "notes": notes, "torch": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    card_path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return weights


def load_card(path) -> dict:
    """The JSON card of a checkpoint."""
    return json.loads(_paths(path)[1].read_text())


def load(model: torch.nn.Module, path, device: str = "cpu") -> dict:
    """Load weights into ``model`` and return the card.

    Raises:
        FileNotFoundError: no such checkpoint.
        ValueError: the checkpoint does not fit the architecture; the message lists
            missing, unexpected and mis-shaped tensors.
    """
    weights, _ = _paths(path)
    if not weights.exists():
        raise FileNotFoundError(f"no checkpoint at {weights}")
    state = load_file(str(weights), device=device)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
              for k in sorted(set(own) & set(state)) if own[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        card = load_card(path) if _paths(path)[1].exists() else {}
        lines = [f"checkpoint {weights.name} does not match {type(model).__name__}"
                 + (f" (it was saved from {card.get('model')} with config {card.get('config')})" if card else "")]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:5]) + (" ..." if len(items) > 5 else ""))
        raise ValueError("\n".join(lines))
    model.load_state_dict(state)
    return load_card(path) if _paths(path)[1].exists() else {}


REPOSITORY_RAW = "https://raw.githubusercontent.com/mmfuse/mmfuse/main/data/checkpoints"
_SHIPPED = pathlib.Path(__file__).resolve().parents[1] / "data" / "checkpoints"


def shipped(name: str) -> pathlib.Path:
    """Path (without suffix) of a checkpoint shipped in ``data/checkpoints/``.

    In a clone of the repository the file is already there. A pip-installed package
    (Colab) has no ``data/``: the weights and card are then downloaded once from the
    repository into ``~/.cache/mmfuse``.
    """
    local = _SHIPPED / name
    if local.with_suffix(".safetensors").exists():
        return local
    cache = pathlib.Path.home() / ".cache" / "mmfuse" / name
    if not cache.with_suffix(".safetensors").exists():
        from .runtime import is_online
        if not is_online("raw.githubusercontent.com"):
            raise FileNotFoundError(f"checkpoint {name!r} is not in {_SHIPPED} and the repository cannot be "
                                    f"reached to download it; clone the repository or go online")
        import urllib.request
        cache.parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".safetensors", ".json"):
            urllib.request.urlretrieve(f"{REPOSITORY_RAW}/{name}{suffix}", cache.with_suffix(suffix))
    return cache
