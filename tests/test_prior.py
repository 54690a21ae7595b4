import pytest
import torch

from mmfuse_lite.data import WordTokenizer
from mmfuse_lite.nn import prior as P

TOK = WordTokenizer()
LAYOUT = P.Layout(len(TOK), num_codes=16, caption_len=8, grid=2)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return P.build_prior(LAYOUT, dim=16, layers=1, heads=2)


def test_layout_keeps_text_and_image_ids_apart():
    assert (LAYOUT.image_token, LAYOUT.null_token, LAYOUT.code_offset) == (len(TOK), len(TOK) + 1, len(TOK) + 2)
    assert LAYOUT.vocab_size == len(TOK) + 2 + 16 and LAYOUT.seq_len == 8 + 1 + 4


def test_caption_ids_errors_are_clear():
    ids = P.caption_ids(LAYOUT, TOK, ["a red circle", "a big blue box"])
    assert ids.shape == (2, 8) and ids[0, 0] == TOK.bos_id and TOK.decode(ids[1]) == "a big blue box"
    with pytest.raises(ValueError, match=r"outside the tokenizer's vocabulary: \['zebra'\]"):
        P.caption_ids(LAYOUT, TOK, ["a red zebra"])
    with pytest.raises(ValueError, match="more than 8 tokens"):
        P.caption_ids(LAYOUT, TOK, ["there is a small red circle at the top left"])


def test_sequences_put_every_token_in_its_place():
    caps = P.caption_ids(LAYOUT, TOK, ["a red circle", "a disc"])
    codes = torch.tensor([[[0, 1], [2, 15]], [[3, 3], [3, 3]]])
    seq = P.text_to_image_sequences(LAYOUT, caps, codes)
    assert seq.shape == (2, LAYOUT.seq_len) and (seq[:, 8] == LAYOUT.image_token).all()
    assert seq[0, 9:].tolist() == [LAYOUT.code_offset + c for c in (0, 1, 2, 15)]
    rev = P.image_to_text_sequences(LAYOUT, codes, caps)
    assert rev[0, 0] == LAYOUT.image_token and torch.equal(rev[:, 5:], caps)
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 16\)"):
        P.text_to_image_sequences(LAYOUT, caps, codes + 10)
    with pytest.raises(ValueError, match=r"expected code maps \(N, 2, 2\)"):
        P.text_to_image_sequences(LAYOUT, caps, torch.zeros(2, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"expected captions \(2, 8\)"):
        P.text_to_image_sequences(LAYOUT, caps[:, :5], codes)


def test_caption_dropout_and_unconditional_prompt():
    seq = P.text_to_image_sequences(LAYOUT, P.caption_ids(LAYOUT, TOK, ["a red circle"] * 3),
                                    torch.zeros(3, 2, 2, dtype=torch.long))
    assert torch.equal(P.drop_captions(LAYOUT, seq, 0.0), seq)
    dropped = P.drop_captions(LAYOUT, seq, 1.0)
    assert (dropped[:, 1:8] == LAYOUT.null_token).all() and torch.equal(dropped[:, 8:], seq[:, 8:])
    assert torch.equal(P.unconditional_prompt(LAYOUT, 3), dropped[:, :9])


def test_losses_and_sampling(model):
    caps = P.caption_ids(LAYOUT, TOK, ["a red circle", "a blue box"])
    codes = torch.tensor([[[0, 1], [2, 3]], [[4, 5], [6, 7]]])
    for target, seq in (("image", P.text_to_image_sequences(LAYOUT, caps, codes)),
                        ("text", P.image_to_text_sequences(LAYOUT, codes, caps))):
        loss = P.prior_loss(model, {"seq": seq}, LAYOUT, p_drop=0.5, target=target)
        assert loss.dim() == 0 and torch.isfinite(loss)
    with pytest.raises(ValueError, match="'image' or 'text'"):
        P.prior_loss(model, {"seq": seq}, LAYOUT, target="sound")
    for guidance in (1.0, 3.0):
        a = P.sample_images(model, LAYOUT, caps, guidance=guidance, top_k=5, seed=1)
        assert a.shape == (2, 2, 2) and 0 <= a.min() and a.max() < 16
        assert torch.equal(a, P.sample_images(model, LAYOUT, caps, guidance=guidance, top_k=5, seed=1))
    text = P.sample_captions(model, LAYOUT, codes)
    assert text.shape == (2, 8) and (text[:, 0] == TOK.bos_id).all() and text.max() < len(TOK)


def test_allow_tokens():
    scores = torch.zeros(2, 10)
    out = P.AllowTokens(3, 6)(None, scores)
    assert torch.isinf(out[:, :3]).all() and torch.isinf(out[:, 6:]).all() and (out[:, 3:6] == 0).all()
