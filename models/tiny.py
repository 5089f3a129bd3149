"""Tiny, randomly initialised models of the real classes, for tests and offline demos.

Model hubs cannot be reached from CI, yet every model path must run through real ``transformers`` code. These
builders train a real tokenizer (sentencepiece for Marian, byte-level BPE for BART) on text given to them and
save a ``MarianMTModel`` / ``BartForConditionalGeneration`` with random weights in the same directory layout a
hub snapshot has, so ``Pipeline.from_pretrained(local_dir)`` loads them exactly as it loads the real ones.
Their output is gibberish by design: tests assert structure (counts, order, chunking), not wording.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MARIAN_SPECIALS = ("</s>", "<unk>")


def _write_lines(path: Path, lines: Iterable[str]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            line = line.strip()
            if line:
                fh.write(line + "\n")
                count += 1
    return count


def _train_spm(lines: list[str], prefix: Path, vocab_size: int) -> None:
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        if _write_lines(corpus, lines) == 0:
            raise ValueError("cannot train a tokenizer on empty text")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(prefix),
            vocab_size=vocab_size,
            model_type="unigram",
            character_coverage=1.0,
            hard_vocab_limit=False,
            bos_id=-1,
            eos_id=1,
            unk_id=0,
            pad_id=-1,
            minloglevel=2,
        )


def _shape(vocab_size: int, d_model: int, encoder_layers: int, decoder_layers: int, max_positions: int
           ) -> dict[str, int]:
    """The size of a tiny encoder-decoder, the same for both architectures: two heads, a 2x feed-forward."""
    return {"vocab_size": vocab_size, "d_model": d_model, "encoder_layers": encoder_layers,
            "decoder_layers": decoder_layers, "encoder_attention_heads": 2, "decoder_attention_heads": 2,
            "encoder_ffn_dim": d_model * 2, "decoder_ffn_dim": d_model * 2, "max_position_embeddings": max_positions}


def _save_random(model_class: Any, config: Any, generation: Any, seed: int, out: Path) -> Path:
    """Initialise ``model_class`` from ``seed`` (so every build is the same model) and save it with its
    generation defaults into ``out``."""
    import torch

    torch.manual_seed(seed)
    model = model_class(config).eval()
    model.generation_config = generation
    model.save_pretrained(out)
    return out


def build_tiny_marian(
    out_dir: str | Path,
    source_lines: list[str],
    target_lines: list[str],
    *,
    vocab_size: int = 400,
    d_model: int = 32,
    layers: int = 2,
    max_positions: int = 512,
    seed: int = 0,
) -> Path:
    """Save a random ``MarianMTModel`` with sentencepiece vocabularies trained on the given text.

    The layout matches ``Helsinki-NLP/opus-mt-*`` snapshots (source.spm, target.spm, vocab.json, config.json,
    model.safetensors), with a shared vocabulary and ``<pad>`` as decoder start, as in the real models.
    """
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _train_spm(source_lines, Path(tmp) / "source", vocab_size)
        _train_spm(target_lines, Path(tmp) / "target", vocab_size)
        vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
        for side in ("source", "target"):
            for line in (Path(tmp) / f"{side}.vocab").read_text(encoding="utf-8").splitlines():
                piece = line.split("\t")[0]
                if piece not in vocab and piece not in ("<s>", "<pad>"):
                    vocab[piece] = len(vocab)
        vocab["<pad>"] = len(vocab)
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = MarianTokenizer(
            str(Path(tmp) / "source.model"),
            str(Path(tmp) / "target.model"),
            str(Path(tmp) / "vocab.json"),
            source_lang="nl",
            target_lang="en",
            model_max_length=max_positions,
        )
        tokenizer.save_pretrained(out)
    pad_id = vocab["<pad>"]
    config = MarianConfig(
        **_shape(len(vocab), d_model, layers, layers, max_positions),
        decoder_vocab_size=len(vocab),
        activation_function="swish",
        pad_token_id=pad_id,
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=pad_id,
        forced_eos_token_id=vocab["</s>"],
        share_encoder_decoder_embeddings=True,
        scale_embedding=True,
        static_position_embeddings=True,
        architectures=["MarianMTModel"],
    )
    generation = GenerationConfig(
        bad_words_ids=[[pad_id]],
        decoder_start_token_id=pad_id,
        pad_token_id=pad_id,
        eos_token_id=vocab["</s>"],
        forced_eos_token_id=vocab["</s>"],
        max_length=max_positions,
        num_beams=4,
    )
    return _save_random(MarianMTModel, config, generation, seed, out)


def build_tiny_bart(
    out_dir: str | Path,
    lines: list[str],
    *,
    vocab_size: int = 600,
    d_model: int = 32,
    encoder_layers: int = 2,
    decoder_layers: int = 1,
    max_positions: int = 1024,
    seed: int = 0,
) -> Path:
    """Save a random ``BartForConditionalGeneration`` with a byte-level BPE tokenizer trained on ``lines``.

    ``max_positions`` is the model's context; tests pass a small one so long articles must be chunked.
    """
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer, GenerationConfig

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    text = [line.strip() for line in lines if line.strip()]
    if not text:
        raise ValueError("cannot train a tokenizer on empty text")
    bpe.train_from_iterator(text, vocab_size=vocab_size, min_frequency=1, special_tokens=specials)
    with tempfile.TemporaryDirectory() as tmp:
        bpe.save_model(tmp)
        tokenizer = BartTokenizer(
            vocab=str(Path(tmp) / "vocab.json"),
            merges=str(Path(tmp) / "merges.txt"),
            model_max_length=max_positions,
        )
        tokenizer.save_pretrained(out)
    vocab = tokenizer.get_vocab()
    config = BartConfig(
        **_shape(len(vocab), d_model, encoder_layers, decoder_layers, max_positions),
        bos_token_id=vocab["<s>"],
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["</s>"],
        forced_bos_token_id=vocab["<s>"],
        forced_eos_token_id=vocab["</s>"],
        architectures=["BartForConditionalGeneration"],
    )
    generation = GenerationConfig(
        bos_token_id=vocab["<s>"],
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["</s>"],
        forced_bos_token_id=vocab["<s>"],
        forced_eos_token_id=vocab["</s>"],
        num_beams=4,
        max_length=142,
        min_length=56,
        no_repeat_ngram_size=3,
        length_penalty=2.0,
        early_stopping=True,
    )
    return _save_random(BartForConditionalGeneration, config, generation, seed, out)


def flores_lines(lang: str = "nl") -> list[str]:
    """FLORES-200 devtest sentences shipped with ``beknopt.eval`` (CC BY-SA 4.0): training text for tokenizers."""
    from importlib.resources import files

    name = {"nl": "nld_Latn.devtest", "en": "eng_Latn.devtest"}[lang]
    path = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", name)
    return path.read_text(encoding="utf-8").splitlines()


def build_tiny_models(out_dir: str | Path, *, summary_context: int = 1024) -> tuple[Path, Path]:
    """Build a tiny nl→en Marian model and a tiny English BART summariser under ``out_dir``.

    Returns ``(translation_dir, summarization_dir)``; used by the tests and by ``beknopt models tiny``.
    """
    out = Path(out_dir)
    nl, en = flores_lines("nl"), flores_lines("en")
    marian = build_tiny_marian(out / "tiny-marian-nl-en", nl, en)
    bart = build_tiny_bart(out / "tiny-bart-en", en, max_positions=summary_context)
    return marian, bart
