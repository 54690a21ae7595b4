"""Save and load weights as safetensors, with a JSON card beside them. Never pickle.

Saves are atomic: weights and card are written to temporary files and renamed into
place, so a save that fails half-way leaves the previous checkpoint intact. Loads say
which file is wrong and how (missing, truncated, corrupted, from another model).
Shipped files downloaded on Colab are checked against a pinned SHA-256.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import sys
import tempfile

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .checks import check_device, describe

SUFFIXES = (".safetensors", ".json")


def _paths(path) -> tuple[pathlib.Path, pathlib.Path]:
    """``run_beta0.25`` -> (``run_beta0.25.safetensors``, ``run_beta0.25.json``).

    Only a known suffix is stripped, so names with dots keep them (``Path.with_suffix``
    would turn both ``beta0.25`` and ``beta0.5`` into ``beta0``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path, got {describe(path)}")
    p = pathlib.Path(path)
    if p.name in ("", ".", "..") or str(path).endswith(os.sep):
        raise ValueError(f"path must name a checkpoint file, got the directory {str(path)!r}")
    for suffix in SUFFIXES:
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            p = p.with_name(p.name[:-len(suffix)])
    return p.with_name(p.name + SUFFIXES[0]), p.with_name(p.name + SUFFIXES[1])


def _write_atomic(target: pathlib.Path, write) -> pathlib.Path:
    """``write(tmp_path)`` into a temporary file beside ``target``; returns the temporary path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        # mkstemp makes it private, and safetensors writes a new private file: a checkpoint is an ordinary file
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return pathlib.Path(tmp)


def save(model: torch.nn.Module, path, config: dict | None = None, metrics: dict | None = None,
         command: str | None = None, notes: str = "") -> pathlib.Path:
    """Write ``path.safetensors`` (the weights) and ``path.json`` (the card), atomically.

    The card records the model class, its config, the metrics it scored, the
    command that trained it, and the torch version. Both files are written to
    temporary names first and renamed into place only when both succeeded.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
    for name, value in (("config", config), ("metrics", metrics)):
        if value is not None and not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict, got {describe(value)}")
    weights, card_path = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    card = {"model": type(model).__name__, "config": config or {}, "metrics": metrics or {},
            "command": command or " ".join(sys.argv), "notes": notes, "torch": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    try:
        text = json.dumps(card, indent=2, sort_keys=True) + "\n"
    except TypeError as e:
        raise TypeError(f"the card of {weights.name} must be JSON: {e} (use floats, ints, strings, lists, dicts)") from None
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp_weights = _write_atomic(weights, lambda t: save_file(state, t))
    try:
        tmp_card = _write_atomic(card_path, lambda t: pathlib.Path(t).write_text(text))
    except BaseException:
        os.unlink(tmp_weights)
        raise
    os.replace(tmp_weights, weights)
    os.replace(tmp_card, card_path)
    return weights


def load_card(path) -> dict:
    """The JSON card of a checkpoint; a missing or damaged card is named in the error."""
    card_path = _paths(path)[1]
    if not card_path.exists():
        raise FileNotFoundError(f"no checkpoint card at {card_path}")
    try:
        card = json.loads(card_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"checkpoint card {card_path} is not valid JSON (truncated or corrupted?): {e}") from None
    if not isinstance(card, dict) or "model" not in card:
        raise ValueError(f"checkpoint card {card_path} is not a card: expected a JSON object with a 'model' "
                         f"entry, got {describe(card)}")
    return card


def read_weights(path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """The tensors of ``path.safetensors``; a damaged file gets an error naming it."""
    weights, _ = _paths(path)
    if not weights.exists():
        raise FileNotFoundError(f"no checkpoint at {weights}")
    try:
        return load_file(str(weights), device=device)
    except (SafetensorError, OSError, ValueError) as e:
        size = weights.stat().st_size
        raise ValueError(f"checkpoint {weights} ({size} bytes) is not a readable safetensors file "
                         f"(empty, truncated or corrupted?): {e}") from None


def load(model: torch.nn.Module, path, device: str = "cpu") -> dict:
    """Load weights into ``model`` and return the card.

    Raises:
        FileNotFoundError: no such checkpoint.
        ValueError: the file is damaged, its card names another model class, or it does
            not fit the architecture (the message lists missing, unexpected and
            mis-shaped tensors). The model is left unchanged.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
    device = check_device(device)
    weights, card_path = _paths(path)
    card = load_card(path) if card_path.exists() else {}
    if card and card["model"] != type(model).__name__:
        raise ValueError(f"checkpoint {weights.name} was saved from a {card['model']} (config {card.get('config')}), "
                         f"not a {type(model).__name__}")
    state = read_weights(path, device)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
              for k in sorted(set(own) & set(state)) if own[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        lines = [f"checkpoint {weights.name} does not match {type(model).__name__}"
                 + (f" (it was saved from {card.get('model')} with config {card.get('config')})" if card else "")]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:5]) + (" ..." if len(items) > 5 else ""))
        raise ValueError("\n".join(lines))
    model.load_state_dict(state)
    return card


REPOSITORY_RAW = "https://raw.githubusercontent.com/mmfuse/mmfuse/main/data/checkpoints"
_SHIPPED = pathlib.Path(__file__).resolve().parents[1] / "data" / "checkpoints"
# SHA-256 of every shipped file; a download must match (tests/test_checkpoints.py keeps it current).
SHIPPED_SHA256 = {
    "augment_any_hue.json": "ada2cc937c5c49aa49c968af79264974c96e1c7bbd4adbe1fb0defef1e3c62f9",
    "augment_any_hue.safetensors": "1b62a7c0c62236e3ef8b25dbec596d873472f3a33d8cfda90a79fce083cdf23e",
    "augment_caption_true.json": "51e7d7e847bf4de396410495bb412fce5713925891ddbcca0bda1a95fa2aafc1",
    "augment_caption_true.safetensors": "30ac3caf79204d9b78a344b645209fde398231044e41ad6969a2c69e6acab990",
    "augment_flip_caption_kept.json": "07fc2e4aac39f9218ed98b6d9ffb1a163f47d963ee1595c4774cf46d74c3b580",
    "augment_flip_caption_kept.safetensors": "6490273a34d32625732970089e3c49a4ed7d030be22c022356d15c1dab1b79f0",
    "augment_none.json": "bbd31b596d66bca71f1a42b85ee5a58ea33f6031a1c203611e454578be5a0b73",
    "augment_none.safetensors": "256a552303bcad581a273923b5123e6a3e21e83486ebf9dc5afe2391ea8fbafb",
    "augment_resized_crop.json": "1e070fea466a5ec4bd821a963277110ab0e28b18f54861abcdbb811928dad604",
    "augment_resized_crop.safetensors": "aace3e7d528b9222d393ab6165616416379565809215b4e33f0352c394741370",
    "autoencoder_c1.json": "5944ad74bf6ee65f771461cf60aba9b25528e19db7f0dc3a44488539f43321ad",
    "autoencoder_c1.safetensors": "e5fa76aca92a29facd2cf5c708305b4deb634f8e0c2369cce44613636df20918",
    "autoencoder_c2.json": "336f8175c134620c848d90dc634253fba302fb1f176a99f1c7fb40cb9d6a2d89",
    "autoencoder_c2.safetensors": "a68da01b5f75834f1e67cda165763a94d2ed9bb86be13ce99b466e857495f83a",
    "autoencoder_c4.json": "db735bcbfaf4c852aa659dc8e69426d681c1729dc2ffc632ff8816165af4a774",
    "autoencoder_c4.safetensors": "2738242e8d1f4088c32369aa07b8441fc48c05719079458237b67b73d0337ad0",
    "clip_captioner.json": "ad03e4862c2e0e7a2ec6c175f98b941fc46825f17c419ee0ae1c644a99c1a2fd",
    "clip_captioner.safetensors": "779fdbfe276473f0982a518b50808a3085658b4ea44ba29851d59d968bed1b8b",
    "clip_classifier.json": "2b8504468a87ea9ef7ddcb11caede3dbf0a87d23a9624eeb2be080d34a1ae050",
    "clip_classifier.safetensors": "1e642d2aea9616dee0a7192985ef736a8808d71a338f8c33237c3cee982c5477",
    "clip_shapes.json": "d4fc5af33bfce2a7fa81f9f565218d3189c835821ed7397563c20d7a32ac919d",
    "clip_shapes.safetensors": "6d156084bd4f24b387075c2319c155fd37ad060ca8583403f74f5623145e16b0",
    "cvae.json": "eafa902f9434be03891ce710e09f0110f36e6428b3b9f32b1a5364f965e55b46",
    "cvae.safetensors": "4f37fe22ba7c513a04260345c01962bc0d263fc0030d3dd76b357c99223ecb20",
    "fusion_caption_film.json": "81fd9618824510f2f2697f0feadf9d81b0b8a7e067f7e02540a87684c019b150",
    "fusion_caption_film.safetensors": "d40863e15c191006e28fe9423c43428ef81691c2381aeecedf927f8814a8941b",
    "fusion_caption_image.json": "dbe8aaab1b16506319c7d485d8028bc91256c1580a72a0d4bf5de222f05fd563",
    "fusion_caption_image.safetensors": "e131cb066178ec93624ea9d7385e2cf9d442c0a42626f6b3161905b812131871",
    "fusion_caption_late.json": "9c96d2fd7984342c71e60bb6962e13af8d7ee887ed25d0acfe7a725e4c91ca42",
    "fusion_caption_late.safetensors": "3e84d288e5822621bccbfd6708c1c3aeb924a53b1b7b67fb0d1b0081b114f559",
    "fusion_caption_text.json": "25d64888337e78094e9e2254ec8a000558e2e3b2160b1e237e153b9d2e23e80d",
    "fusion_caption_text.safetensors": "98fb6da8b5f0ff193c76744171a94a23bab190abfc6ce6329c6a96cdc24e21cc",
    "fusion_hop_attention.json": "f383d0724dba3e3c38b6481fa1f1a7cd6e957f8af6cda8d0082890b5eda24f52",
    "fusion_hop_attention.safetensors": "281ffa9219370c2a1895e5db80bd465c35294d62ad0889b0bc46aa1bc97b32e7",
    "fusion_hop_concatenation.json": "2321e465718826f93953cda9256a06c44b2c3ccb58759b09047f27a06d5f3d05",
    "fusion_hop_concatenation.safetensors": "41baada23751c99b40ae9b50ee4a1f7b6750def7a97b330b82bd2501f9fe0b6f",
    "fusion_hop_film.json": "1e34b9e3164f1f954810ab17d9d98264c766dd828dc9eb9ddfe6f250757df4ca",
    "fusion_hop_film.safetensors": "5cbe9c3131ae47ccd939b9edb10c297177c28165acc561c6842be868b2e89970",
    "fusion_hop_transformer.json": "7ad114f738fc38a83c887805aae4f320069ba37f9d516c41abc48a4bfa31300e",
    "fusion_hop_transformer.safetensors": "8265710b5bec556c54d0b6f9879fa66fd6b69b027a7fecede5cddf36dfb98f15",
    "fusion_where_attention.json": "7932fdaffed6e3540fbd093c3e81f6f08bf21ed68633f13b5b137163ce726cc5",
    "fusion_where_attention.safetensors": "c8e6aa3fd1524269755d3fafca9e79d827327ec10703760cc222382b8152c231",
    "fusion_where_concatenation.json": "34f21981cf022c479d4dd8184e2d6373df1a13858e7a8eff9b11e38ee73196da",
    "fusion_where_concatenation.safetensors": "76e26f2b46975c7c89b0504ca935dcf499539635f36182058f2774606fdc55fe",
    "fusion_where_film.json": "6e3fc474cbcc0472ae9c4529a955fefcc54c324dd069fe05093e9997950f0739",
    "fusion_where_film.safetensors": "bbeeec61b58c263679576a37c1c56c71718d466504490078f54079a2c4b13c24",
    "fusion_where_transformer.json": "8747b5e184dab2055eeabf68a4e14835916d7da4897c20341cb34a1bc58b7d76",
    "fusion_where_transformer.safetensors": "6a234da15fe29b313afbc1a86bff3113b6e2d0bffbed41e37b352f68bb701a84",
    "image_to_sound.json": "abff44dbf06027a8f0675098c565b57d443601ccd60ec75edacd38745c78c975",
    "image_to_sound.safetensors": "d673d5c5edc45b668848e23479fb9fc5a5ff1828051559e229e7874764272404",
    "multitask_colour.json": "2af0e20e86a2b5d96510ae19295b04628fbb58edf7a0f918f84bd08f1b03f2ad",
    "multitask_colour.safetensors": "e331614bbad836543d656ca74bb488230b4a1be10d72cb5af4d6ee369c71cc07",
    "multitask_colour_small.json": "26bb47585ccd4a55c90dbaac6cb74ac02f29302dce187103a018ff5898f90ba1",
    "multitask_colour_small.safetensors": "9288e20bf17da7ee0bbc06bec04dd579cf906de8dcdc9371ca0cd981704e0e82",
    "multitask_count.json": "bbd98412e664cb5577323c488ca260f8c62aa8ba34c5f72924b36c607a228808",
    "multitask_count.safetensors": "e250fe99bf431978799460ce591ec08dd00d52e6a474e75bd6bd67746ea1f0d9",
    "multitask_shared.json": "9ddac974fe75c9fdabdec38e64056ce46afb8886882c78338c0854ce151a0e1a",
    "multitask_shared.safetensors": "b8c0310f18fb8a16a53e002cb7a247bfa6b404752f53749f6295623f14986c65",
    "multitask_shared_double.json": "79642e5d13841b512d99b0c1ea9ca3c92d9b5437685530d9c7b6c0bf3ef3b29d",
    "multitask_shared_double.safetensors": "e51e1f25a070110b6830534eb2de900dedc7f4d5723796fc7a5ba9ef2ec21ac4",
    "multitask_shared_small.json": "ebd9c1ea65b7641520a93ead8181f6972ab4261d16237bbacaa0bdd8ab5015d1",
    "multitask_shared_small.safetensors": "a6953533d1308d071f18d8828a0026c0e19e363e0a10b9b07d768b926c209c0a",
    "multitask_uncertainty.json": "057fafd2711254bdac1327434cb8b7959d5a1736d36e5c25fa9cf305e419b643",
    "multitask_uncertainty.safetensors": "782a293200802ff7454990d38efefdaa29a1e0237b8e390a841770c726398e80",
    "multitask_where.json": "e4a92eb8f08209fe8c02f863c1e66e2e66298ac71c5d6ff080c2fa46264234a8",
    "multitask_where.safetensors": "be2e73b69afc5279caf39438fb41a4e1e68a32ac16490da4014d57948ca9d606",
    "pair_vqgan.json": "7f8e1783c83b24853a2d77ab9da5b484a4e0d535059a865d1a613fcb20146efe",
    "pair_vqgan.safetensors": "e461a647bffe4655bd847e5c25f564eaa64bc9b08e1a637b245b7b928382f6f0",
    "pair_vqvae.json": "026654df924d39d86e2db86d196ccf34511dcf443276db6cc8d7a9ce1d3dc6bb",
    "pair_vqvae.safetensors": "22ad41a14688bc3f5c9594787433c89df99bf69d02a9d16303edef7ece9cb495",
    "prior_image.json": "8cd9d9ea5765790ccfad705fde86e59cb9eedcd820caa812cf3d62ae8ff4a2c7",
    "prior_image.safetensors": "975cc9a68d9f10bf0b775473c50b21c0b45b44d04b23986c98c5a761b9ff798f",
    "prior_text.json": "ffec4f4b4018a13d3c30dafb1d195d2ba805f31c45e8790c5fb21854cbb7c01c",
    "prior_text.safetensors": "ae88284ea75475e8c14740474e383f610d436759addc47168ef13fe65164e94d",
    "shapes_features.json": "2df16ac416a081cbad73b1d1749e4e7d2cafa610bd63120cdba01ab847b45919",
    "shapes_features.safetensors": "87eb7eb1bb8bccaa57da641da78527a5617552ebef5c1ca32265ba8ec6d6b9a9",
    "shapes_judge.json": "3062bcc32eb0df4cbbc8ca231cd8ec6e4bfef842ca7a2997bda8f87734391b9c",
    "shapes_judge.safetensors": "50c8041bc7354ce1cd4f606acf19dbce082abae2a23e3d068db9b9d78afb4d32",
    "siamese_scenes.json": "cb2dcc777ea7440e0dff7ea1b35bdbeda4f92f127f31d94decc3a7d2094b65c4",
    "siamese_scenes.safetensors": "790ce5254ed1bba55a2e16e37eb18ef573bb7b587b27214f435d0ab6be7cfcb8",
    "siamese_scenes_untied.json": "213bed6953523032773f28cfb7d2f592403ffb0af5161ff2fb9fdcd0331fb987",
    "siamese_scenes_untied.safetensors": "177aea85631d43613a2b0b073c036adb06317b471b211759256c826d6c303514",
    "sound_judge.json": "89070d57eaf6ef1831cf4d2fb5fc4e0ac67c6758ee8808ec474703c07b5c2ee9",
    "sound_judge.safetensors": "110b92c7f12917ba1f2a476f7cfd78e01a1e650b5e466ce80e54fe4a336ecf92",
    "sound_vq.json": "f2af65a4f35f89a7af258782c5c5d48f80209368f6743b628b53bb219251b107",
    "sound_vq.safetensors": "23b2587430ad7d88a7acc9f9323d18b810f1b79bf7f50c6943dd8d89e5ebe929",
    "transfer_finetuned_2000.json": "bc81684d20811e09b3abce10683fa3dff9d55f0611dd33d94641521fd6338b69",
    "transfer_finetuned_2000.safetensors": "83a6c81517a46755a284a4572232a918d4eae77a37702172b5fa2320ee8b76e9",
    "transfer_finetuned_500.json": "3daef8620ac5c44d59f4203e0a16a6db46eec0981f1ac0cbb714783aaa191f1b",
    "transfer_finetuned_500.safetensors": "b503e9903eff29eda1438c02d609c2f54600736b43aed414971d5f28f5de078a",
    "transfer_finetuned_8000.json": "3b3932545f5e94d121bc247f6b88e8c220efc1fd2add3273b928bf6bbae7807c",
    "transfer_finetuned_8000.safetensors": "ee851193b2c923d6d796c9187ddac31f410a698833ccb21ca2293885cc16711c",
    "transfer_frozen_2000.json": "c88757f3e43421d63b75e440c80d5a00f25a1d183bcbd706d9048ba6dcf9e5d6",
    "transfer_frozen_2000.safetensors": "835c6ba3a34695437c06c0e40e02e2d2f7a80b9d76859d3d8d57f5b7a7e9333e",
    "transfer_frozen_500.json": "4ae1fdfe4c89825ecb3740d2c5e15e23f85816849ee7ac2e28dc480068934a44",
    "transfer_frozen_500.safetensors": "e9fbde73995258e0499774424dddab7696159552198be4d1f39583ebdf19248f",
    "transfer_frozen_8000.json": "00b7a6d0693c755f4b884f283a6efb15d49222405babf4a551e6dad4fd14d70d",
    "transfer_frozen_8000.safetensors": "36a658f99be224ed9da2cd77581d01bf75be7d494f97c6db42c4ebb6e3cd2ed4",
    "transfer_scratch_2000.json": "ef5a455304ee7d067b3c23ef4d7e391c32bf1c5a8972515e9addfb1ea12a1a69",
    "transfer_scratch_2000.safetensors": "4f419691224578bb292d5ad898a839eb9b83bdf5cc6bd658d3701dde2e0fb120",
    "transfer_scratch_500.json": "5de9af0f98475ce4321a5f5d154c115ade45848abd784a1b37cd95d3266bd30a",
    "transfer_scratch_500.safetensors": "35a79e0dcd0ab19cdbd658555a4056903b9b43aad38ca21674372da6be438ed6",
    "transfer_scratch_8000.json": "33c38f21e961957b6ddd5683e1642efa65458371e5d6d5accfe9586b2d7f4111",
    "transfer_scratch_8000.safetensors": "363a0955ef5081edccc96d3b30392f489f1f0dc266da31c3fa4aabad29405fcc",
    "vae_beta1.json": "a842390834857a186620efd2fb7fb6b94f190fedc3c259f420e8367bbf4e0f60",
    "vae_beta1.safetensors": "753f129e0fdb40f45e4b991c15643a2f4e6c5c605cc661f86e55b654ea4780a8",
    "vae_beta16.json": "2b7a2d096217c9a5aaa17fb6e6092ff202b60aceb177141cb4e54792dbc6c1f3",
    "vae_beta16.safetensors": "a27b696b4df7b3e21bf347883062891b95f2f0d791f57fc5aca17af77bd8a855",
    "vae_beta4.json": "5113e22e52693b1cd3129231d5bb030222789a56bbab2c34c862af756b4c1467",
    "vae_beta4.safetensors": "136c122e9b548cde91cccbb69d0e10e2dc19cc0a65240b5ec5787b9f353a64ec",
    "vae_beta64.json": "fdddbd925f13da27762d847098f5d3ef169bf62a545c73a4dee11da3ab052871",
    "vae_beta64.safetensors": "f558c6c83d8fd43268dc84a16eba61e665ca16b4efa5bde0635de932473e72bd",
    "vqa_all.json": "508908ccf544e922c87203c7c5ce792b30d54e7e082e16cc63d09a075f2d1a00",
    "vqa_all.safetensors": "76b7ca8bf0e4e17922685525c87ba7a404d34ad83d3511997ed5193472d660d0",
    "vqa_seen.json": "c7f97639e66bde3e2149f31101031fec7340151940c7dcb8dcff1c7182a764b5",
    "vqa_seen.safetensors": "83c6afaafa7d92d5c062ff72e7bf4ee2f8dd1159f7377f5d06776ed2cf11c4e4",
    "vqgan_512.json": "183fcc8f8977ec1400e36075cea42718395f51e1f3be94fda3eb4722f4b4657c",
    "vqgan_512.safetensors": "b7bce8524771cec2713ba0021a906db5a2b2949968b88db89ad57ba35631e25c",
    "vqgan_shapes.json": "c4ba54b35da0f91ef9f4f9159516c36f3d5d11b91a12b2774a35c908b917a461",
    "vqgan_shapes.safetensors": "ef691b1faffb8ec7e270e9ed821d5d312b54b16929ccee6fb6a1f40fe7035406",
}


def sha256(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, target: pathlib.Path) -> None:
    """Download ``url`` to ``target`` through a temporary file, refusing a hash mismatch."""
    import urllib.request
    expected = SHIPPED_SHA256.get(target.name)
    if expected is None:
        raise ValueError(f"{target.name} has no pinned SHA-256 in mmfuse_lite.checkpoints.SHIPPED_SHA256; "
                         "refusing to download an unverified file")
    tmp = _write_atomic(target, lambda t: urllib.request.urlretrieve(url, t))
    got = sha256(tmp)
    if got != expected:
        os.unlink(tmp)
        raise ValueError(f"downloaded {target.name} from {url} has SHA-256 {got}, expected {expected}: "
                         "the file is damaged or not the one this package version ships; it was not kept")
    os.replace(tmp, target)


def shipped(name: str) -> pathlib.Path:
    """Path (without suffix) of a checkpoint shipped in ``data/checkpoints/``.

    In a clone of the repository the file is already there. A pip-installed package
    (Colab) has no ``data/``: the weights and card are then downloaded once from the
    repository into ``~/.cache/mmfuse``, and each file's SHA-256 must match the pin in
    :data:`SHIPPED_SHA256`.
    """
    known = sorted({k.rsplit(".", 1)[0] for k in SHIPPED_SHA256})
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"unknown shipped checkpoint {name!r}: expected one of {', '.join(known)}")
    local = _SHIPPED / name
    if local.with_name(name + ".safetensors").exists():
        return local
    cache = pathlib.Path.home() / ".cache" / "mmfuse" / name
    missing = [s for s in SUFFIXES if not cache.with_name(name + s).exists()]
    if missing:
        from .runtime import is_online
        if not is_online("raw.githubusercontent.com"):
            raise FileNotFoundError(f"checkpoint {name!r} is not in {_SHIPPED} and the repository cannot be "
                                    f"reached to download it; clone the repository or go online")
        cache.parent.mkdir(parents=True, exist_ok=True)
        for suffix in missing:
            _download(f"{REPOSITORY_RAW}/{name}{suffix}", cache.with_name(name + suffix))
    return cache
