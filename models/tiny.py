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
from collections.abc import Iterable, Sequence
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
    language_tokens: Sequence[str] = (),
) -> Path:
    """Save a random ``MarianMTModel`` with sentencepiece vocabularies trained on the given text.

    The layout matches ``Helsinki-NLP/opus-mt-*`` snapshots (source.spm, target.spm, vocab.json, config.json,
    model.safetensors), with a shared vocabulary and ``<pad>`` as decoder start, as in the real models.
    ``language_tokens`` (``>>eng<<``...) make it a multi-target model such as ``opus-mt-tc-big-gmw-gmw``.
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
        for token in language_tokens:
            vocab.setdefault(token, len(vocab))
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


def _train_pieces(lines: list[str], vocab_size: int, **specials: Any) -> list[tuple[str, float]]:
    """A unigram sentencepiece vocabulary trained on ``lines``: (piece, score) pairs in id order."""
    with tempfile.TemporaryDirectory() as tmp:
        import sentencepiece as spm

        corpus = Path(tmp) / "corpus.txt"
        if _write_lines(corpus, lines) == 0:
            raise ValueError("cannot train a tokenizer on empty text")
        spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(Path(tmp) / "m"), vocab_size=vocab_size,
                                       model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
                                       minloglevel=2, **specials)
        rows = (Path(tmp) / "m.vocab").read_text(encoding="utf-8").splitlines()
    return [(row.split("\t")[0], float(row.split("\t")[1])) for row in rows]


NLLB_CODES = ("deu_Latn", "eng_Latn", "fra_Latn", "nld_Latn")


def build_tiny_nllb(out_dir: str | Path, lines: list[str], *, codes: Sequence[str] = NLLB_CODES,
                    vocab_size: int = 500, d_model: int = 32, layers: int = 2, max_positions: int = 1024,
                    seed: int = 0) -> Path:
    """Save a random ``M2M100ForConditionalGeneration`` with an ``NllbTokenizer`` (BPE trained on ``lines``,
    language codes as special tokens), laid out like ``facebook/nllb-200-*``: the source starts with its
    language code, the decoder starts at ``</s>`` and must be forced to the target's code."""
    from tokenizers import SentencePieceBPETokenizer
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bpe = SentencePieceBPETokenizer()
    bpe.train_from_iterator([x.strip() for x in lines if x.strip()], vocab_size=vocab_size, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>"])
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = NllbTokenizer(vocab=model["vocab"], merges=merges, additional_special_tokens=list(codes),
                              src_lang="eng_Latn", model_max_length=max_positions)  # the hub's default source
    tokenizer.save_pretrained(out)
    config = M2M100Config(**_shape(len(tokenizer), d_model, layers, layers, max_positions),
                          activation_function="relu", scale_embedding=True, bos_token_id=0, pad_token_id=1,
                          eos_token_id=2, decoder_start_token_id=2, architectures=["M2M100ForConditionalGeneration"],
                          tokenizer_class="NllbTokenizer")
    generation = GenerationConfig(bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2,
                                  max_length=200)
    return _save_random(M2M100ForConditionalGeneration, config, generation, seed, out)


def build_tiny_m2m100(out_dir: str | Path, lines: list[str], *, vocab_size: int = 400, d_model: int = 32,
                      layers: int = 2, max_positions: int = 1024, seed: int = 0) -> Path:
    """Save a random ``M2M100ForConditionalGeneration`` with an ``M2M100Tokenizer`` (vocab.json plus a
    sentencepiece model, 100 ``__xx__`` language tokens after the vocabulary, 8 made-up words), like
    ``facebook/m2m100_418M``."""
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _train_spm_to(lines, Path(tmp) / "spm", vocab_size, bos_id=0, pad_id=1, eos_id=2, unk_id=3)
        vocab: dict[str, int] = {}
        for row in (Path(tmp) / "spm.vocab").read_text(encoding="utf-8").splitlines():
            vocab.setdefault(row.split("\t")[0], len(vocab))
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = M2M100Tokenizer(str(Path(tmp) / "vocab.json"), str(Path(tmp) / "spm.model"), src_lang="en",
                                    model_max_length=max_positions)
        tokenizer.save_pretrained(out)
    size = len(vocab) + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    config = M2M100Config(**_shape(size, d_model, layers, layers, max_positions), activation_function="relu",
                          scale_embedding=True, bos_token_id=0, pad_token_id=1, eos_token_id=2,
                          decoder_start_token_id=2, architectures=["M2M100ForConditionalGeneration"])
    generation = GenerationConfig(bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2,
                                  max_length=200, num_beams=5, early_stopping=True)
    return _save_random(M2M100ForConditionalGeneration, config, generation, seed, out)


def _train_spm_to(lines: list[str], prefix: Path, vocab_size: int, **ids: int) -> None:
    import sentencepiece as spm

    corpus = prefix.with_suffix(".txt")
    if _write_lines(corpus, lines) == 0:
        raise ValueError("cannot train a tokenizer on empty text")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
                                   minloglevel=2, **ids)


MADLAD_TOKENS = ("<2de>", "<2en>", "<2nl>")


def build_tiny_t5(out_dir: str | Path, lines: list[str], *, language_tokens: Sequence[str] = MADLAD_TOKENS,
                  vocab_size: int = 400, d_model: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Save a random ``T5ForConditionalGeneration`` with a sentencepiece ``T5Tokenizer`` whose vocabulary has
    MADLAD-400's ``<2xx>`` target-language pieces (``google/madlad400-*-mt``: no sentinel extra ids)."""
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration, T5Tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pieces = _train_pieces(lines, vocab_size, bos_id=-1, pad_id=0, eos_id=1, unk_id=2,
                           user_defined_symbols=list(language_tokens))
    tokenizer = T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=MADLAD_CONTEXT)
    tokenizer.save_pretrained(out)
    config = T5Config(vocab_size=len(tokenizer), d_model=d_model, d_kv=d_model // 2, d_ff=d_model * 2,
                      num_layers=layers, num_decoder_layers=layers, num_heads=2, feed_forward_proj="gated-gelu",
                      tie_word_embeddings=False, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                      architectures=["T5ForConditionalGeneration"])
    generation = GenerationConfig(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    return _save_random(T5ForConditionalGeneration, config, generation, seed, out)


MADLAD_CONTEXT = 512  # the T5 tokenizer's length; the family caps inputs at MADLAD's trained 256


def build_tiny_pegasus(out_dir: str | Path, lines: list[str], *, vocab_size: int = 400, d_model: int = 32,
                       layers: int = 2, max_positions: int = 1024, seed: int = 0) -> Path:
    """Save a random ``PegasusForConditionalGeneration`` whose sentencepiece vocabulary has ``<n>`` (the line
    break of ``google/pegasus-cnn_dailymail``) and that card's decoding defaults (8 beams, length penalty 0.8,
    32-128 tokens)."""
    from transformers import GenerationConfig, PegasusConfig, PegasusForConditionalGeneration, PegasusTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pieces = _train_pieces(lines, vocab_size, bos_id=-1, pad_id=-1, eos_id=-1, unk_id=0,
                           user_defined_symbols=["<n>"])
    specials = [("<pad>", 0.0), ("</s>", 0.0), ("<mask_1>", 0.0), ("<mask_2>", 0.0)]
    tokenizer = PegasusTokenizer(vocab=specials + [(p, 0.0 if p == "<unk>" else score) for p, score in pieces],
                                 offset=0, model_max_length=max_positions)
    tokenizer.save_pretrained(out)
    config = PegasusConfig(**_shape(len(tokenizer), d_model, layers, layers, max_positions), pad_token_id=0,
                           eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1, scale_embedding=True,
                           architectures=["PegasusForConditionalGeneration"])
    generation = GenerationConfig(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1,
                                  num_beams=8, length_penalty=0.8, max_length=128, min_length=32)
    return _save_random(PegasusForConditionalGeneration, config, generation, seed, out)


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
