"""scripts/train_vqgan.py under torchrun: two CPU processes, DDP over gloo, a few steps."""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_train_vqgan_runs_under_torchrun_with_ddp_on_cpu(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(ROOT / "scripts" / "train_vqgan.py"), "--device", "cpu", "--steps", "4", "--disc-start", "2",
           "--n-train", "128", "--batch-size", "16", "--width", "8", "--test-n", "64", "--out", str(tmp_path)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    # both ranks trained on their own shard (8 images each) and DDP kept the replicas identical
    gap = re.search(r"2 processes, 8 images each per step; largest weight difference between ranks: (\S+)", out)
    assert gap, out[-3000:]
    assert float(gap.group(1)) <= 1e-5
    assert out.count("wrote ") == 1, "only rank 0 writes the checkpoint"
    card = json.loads((tmp_path / "vqgan_shapes.json").read_text())
    assert card["command"].startswith("torchrun --nproc_per_node=2")
    assert (tmp_path / "vqgan_shapes.safetensors").stat().st_size > 0


def test_train_vqgan_refuses_a_batch_that_does_not_split(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(ROOT / "scripts" / "train_vqgan.py"), "--device", "cpu", "--steps", "1", "--batch-size", "15",
           "--out", str(tmp_path)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode != 0
    assert "must be divisible by the 2 processes" in run.stdout + run.stderr
