"""YAML/JSON configs: own schema, instantiation configs, recipe formats, safety, config-to-script flow."""

from __future__ import annotations

import json
import time
from pathlib import Path

from helpers import codes, lint_files

from rnnlint.settings.model import Settings


def _only(diags: list, code: str) -> list:
    return [d for d in diags if d.code == code]


OWN = """\
model:
  cell: lstm
  hidden_size: 1024
  num_layers: 1
  bidirectional: false
  dropout: 1.5
  embeding_dim: 100
optim:
  name: adam
  lr: 0.05
  clip_norm: 0
schedule:
  type: none
data:
  task: classification
"""


def test_own_schema_validation_points_at_the_key(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"recipe.yaml": OWN})
    bad = _only(diags, "RNN002")
    assert [(d.loc.line, d.loc.col) for d in bad] == [(6, 3)] and "less than 1" in bad[0].message
    unknown = _only(diags, "RNN003")
    assert [(d.loc.line, d.loc.col) for d in unknown] == [(7, 3)] and "did you mean `embedding_dim`" in unknown[0].message
    # an invalid value is unknown downstream: no RNN107 computed from a guessed dropout
    assert "RNN107" not in codes(diags)
    assert {"RNN102", "RNN103", "RNN104", "RNN201", "RNN204", "RNN206"} <= set(codes(diags))
    rnn104 = _only(diags, "RNN104")[0]
    assert rnn104.loc.line == 3


def test_own_schema_defaults_follow_the_guidelines(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"recipe.yaml": "model:\n  cell: gru\noptim:\n  name: adam\n"})
    assert codes(diags) == []
    as_json = json.dumps({"model": {"cell": "lstm", "hidden_size": 2048}, "optim": {"lr": 0.001}})
    assert codes(lint_files(tmp_path, {"recipe.json": as_json})) == ["RNN104"]


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"recipe.yaml": "model:\n  hidden_size: 256\n  hidden_size: 2048\noptim:\n  lr: 0.001\n"})
    dup = _only(diags, "RNN002")
    assert len(dup) == 1 and dup[0].loc.line == 3 and "first at line 2" in dup[0].message


HYDRA = """\
model:
  encoder:
    _target_: torch.nn.LSTM
    input_size: 80
    hidden_size: ${hidden}
    num_layers: 1
    dropout: 0.3
  decoder:
    _target_: torch.nn.LSTM
    input_size: 80
    hidden_size: 256
    num_layers: 2
hidden: 2048
optimizer:
  _target_: torch.optim.Adam
  _partial_: true
  lr: 0.001
  weight_decay: 0.0001
trainer:
  _target_: lightning.pytorch.Trainer
  gradient_clip_val: 1.0
"""


def test_hydra_targets_are_calls_with_interpolation(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"config.yaml": HYDRA})
    assert [d.loc.line for d in _only(diags, "RNN104")] == [2]
    assert "2048" in _only(diags, "RNN104")[0].message
    assert [d.loc.line for d in _only(diags, "RNN107")] == [2]
    assert "RNN201" not in codes(diags)  # the Trainer clips
    # the encoder may be bidirectional, the decoder never is
    assert [d.loc.line for d in _only(diags, "RNN102")] == [2]


def test_lightning_cli_class_path(tmp_path: Path) -> None:
    cfg = """\
trainer:
  max_epochs: 20
  gradient_clip_val: 0.5
model:
  class_path: torch.nn.GRU
  init_args:
    input_size: 40
    hidden_size: 64
    num_layers: 2
optimizer:
  class_path: torch.optim.AdamW
  init_args:
    lr: 0.05
"""
    found = codes(lint_files(tmp_path, {"config.yaml": cfg}))
    assert "RNN104" in found and "RNN206" in found and "RNN201" not in found


def test_hyperpyyaml_tags_are_data_and_speechbrain_clips_by_default(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    cfg = f"""\
hidden_size: 1024
lr: 0.001
enc: !new:speechbrain.nnet.RNN.LSTM
    hidden_size: !ref <hidden_size>
    num_layers: 4
    bidirectional: True
    dropout: 0.15
opt_class: !name:torch.optim.Adam
    lr: !ref <lr>
lr_annealing: !new:speechbrain.nnet.schedulers.NewBobScheduler
    initial_value: !ref <lr>
    annealing_factor: 0.8
danger: !!python/object/apply:os.system ["touch {canary}"]
more: !include:other.yaml
"""
    diags = lint_files(tmp_path, {"hparams.yaml": cfg})
    assert not canary.exists()
    found = codes(diags)
    assert "RNN104" in found and "1024" in _only(diags, "RNN104")[0].message
    assert "RNN201" not in found and "RNN204" not in found and "RNN106" in found
    no_clip = lint_files(tmp_path, {"hparams.yaml": cfg + "max_grad_norm: 0\n"})
    assert "RNN201" in codes(no_clip)


def test_opennmt_defaults(tmp_path: Path) -> None:
    base = "save_model: run/model\nencoder_type: brnn\nrnn_size: 500\nlayers: 2\ndropout: [0.3]\n"
    diags = lint_files(tmp_path, {"brnn.yaml": base})
    found = codes(diags)
    # default max_grad_norm 5 clips, default learning_rate_decay 0.5 decays, brnn is bidirectional
    assert not {"RNN201", "RNN204", "RNN205", "RNN102", "RNN104"} & set(found)
    off = lint_files(tmp_path, {"brnn.yaml": base + "max_grad_norm: 0\nlearning_rate_decay: 0.05\n"})
    assert {"RNN201", "RNN205"} <= set(codes(off))
    uni = lint_files(tmp_path, {"brnn.yaml": base.replace("brnn", "rnn")})
    assert [d.loc.line for d in _only(uni, "RNN102")] == [3]  # the encoder; the decoder is never told


def test_espnet_defaults_and_weight_decay_zero(tmp_path: Path) -> None:
    cfg = """\
encoder: rnn
encoder_conf:
  rnn_type: blstm
  num_layers: 4
  hidden_size: 1024
  dropout: 0.2
decoder: rnn
model_conf:
  ctc_weight: 0.3
optim: adam
optim_conf:
  lr: 0.002
  weight_decay: 0
"""
    diags = lint_files(tmp_path, {"asr.yaml": cfg})
    found = codes(diags)
    assert "RNN201" not in found and "RNN102" not in found and "RNN208" not in found
    assert "RNN301" in found and [d.loc.line for d in _only(diags, "RNN104")] == [5]


def test_hostile_yaml_is_bounded(tmp_path: Path) -> None:
    bomb = ['lstm: true', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    files = {
        "bomb.yaml": "\n".join(bomb) + "\n",
        "deep.yaml": "# lstm\n" + "[" * 20000 + "]" * 20000 + "\n",
        "tabs.yaml": "lstm:\n\thidden_size: 4\n",
        "broken.json": '{"torch": {"lstm": [1, 2',
    }
    start = time.perf_counter()
    diags = lint_files(tmp_path, files)
    assert time.perf_counter() - start < 20  # bounded, not a timing benchmark
    by_file = {Path(d.loc.path).name: d for d in diags}
    assert set(by_file) == set(files) and all(d.code == "RNN001" for d in diags)
    assert "alias bomb" in by_file["bomb.yaml"].message


def test_python_tags_are_inert(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    cfg = f'lstm:\n  run: !!python/object/apply:os.system ["touch {canary}"]\n  name: !!python/name:os.system\n'
    lint_files(tmp_path, {"tags.yaml": cfg})
    assert not canary.exists()


def test_noqa_in_yaml(tmp_path: Path) -> None:
    cfg = "model:\n  cell: lstm\n  hidden_size: 2048  # noqa: RNN104\noptim:\n  lr: 0.001\n"
    assert codes(lint_files(tmp_path, {"recipe.yaml": cfg})) == []


def test_config_values_reach_the_script(tmp_path: Path) -> None:
    files = {
        "cfg.yaml": "model:\n  hidden: 2048\n  layers: 2\n",
        "train.py": (
            "import yaml\nimport torch.nn as nn\nwith open('cfg.yaml') as f:\n    cfg = yaml.safe_load(f)\n"
            "rnn = nn.LSTM(32, cfg['model']['hidden'], cfg['model']['layers'], dropout=0.5)\n"
        ),
        "conf/config.yaml": "defaults:\n  - model: big\n  - _self_\n",
        "conf/model/big.yaml": "hidden: 4096\nlayers: 2\n",
        "hy.py": (
            "import hydra\nimport torch.nn as nn\n@hydra.main(config_path='conf', config_name='config', version_base=None)\n"
            "def main(cfg):\n    rnn = nn.GRU(32, cfg.model.hidden, cfg.model.layers, dropout=0.5)\n"
        ),
    }
    diags = lint_files(tmp_path, files, settings=Settings(select=["RNN104"]), only=["train.py", "hy.py"])
    by_file = {Path(d.loc.path).name: d.message for d in diags}
    assert set(by_file) == {"train.py", "hy.py"}
    assert "hidden size 2048 (" in by_file["train.py"] and "cfg.yaml:2)" in by_file["train.py"]
    assert "hidden size 4096 (" in by_file["hy.py"] and "model/big.yaml:1)" in by_file["hy.py"]
