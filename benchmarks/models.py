"""Architecture-exact stand-ins for opus-mt-nl-en and distilbart-cnn-12-6, with random weights.

Real weights cannot be downloaded here, and speed depends on shapes and token counts, not on weight values. So:
- tokenizers are trained on the FLORES-200 text shipped with beknopt (sentencepiece per side for Marian, a
  byte-level BPE for BART), each with the largest vocabulary the text supports, and their ``vocab.json`` is
  padded with never-produced dummy tokens to the real sizes (67,028 and 50,264), so embedding and output
  projections have the real shapes;
- models have the real configs (layers, heads, FFN, activation, positions, shared embeddings, generation
  defaults of the model cards);
- sentencepiece is trained as BPE (16k pieces per side: ~1.13 tokens/word on FLORES Dutch, a little under the
  ~1.3-1.5 of the real opus-mt vocabularies on news text), BART's byte-level BPE as large as the text allows;
- ``final_logits_bias`` pushes dummy ids (and, for Marian, everything but English word-initial pieces) to -1e4,
  so random decoding emits decodable text whose token count for the next stage is realistic. The projection
  over all 67,028/50,264 ids is still computed, so the work is unchanged.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

MARIAN_VOCAB = 67_028
BART_VOCAB = 50_264


def _flores(lang: str) -> list[str]:
    from beknopt.models.tiny import flores_lines

    return [line.strip() for line in flores_lines(lang) if line.strip()]


def _train_spm(lines: list[str], prefix: Path, vocab_size: int = 16_000) -> None:
    import sentencepiece as spm

    corpus = prefix.with_suffix(".txt")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="bpe",
        character_coverage=1.0, hard_vocab_limit=False, bos_id=-1, eos_id=1, unk_id=0, pad_id=-1,
        minloglevel=2,
    )


def build_marian(out: Path, seed: int = 0) -> Path:
    """opus-mt-nl-en shapes: d_model 512, 6+6 layers, 8 heads, FFN 2048, swish, 67,028 shared vocabulary."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _train_spm(_flores("nl"), Path(tmp) / "source")
        _train_spm(_flores("en"), Path(tmp) / "target")
        vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
        english_words: set[str] = set()
        for side in ("source", "target"):
            for line in (Path(tmp) / f"{side}.vocab").read_text(encoding="utf-8").splitlines():
                piece = line.split("\t")[0]
                if side == "target" and piece.startswith("\u2581") and len(piece) > 1:
                    english_words.add(piece)
                if piece not in vocab and piece not in ("<s>", "<pad>"):
                    vocab[piece] = len(vocab)
        real = len(vocab)
        while len(vocab) < MARIAN_VOCAB - 1:
            vocab[f"<dummy_{len(vocab)}>"] = len(vocab)
        vocab["<pad>"] = len(vocab)  # last id, as in the real opus-mt vocabularies
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = MarianTokenizer(str(Path(tmp) / "source.model"), str(Path(tmp) / "target.model"),
                                    str(Path(tmp) / "vocab.json"), source_lang="nl", target_lang="en",
                                    model_max_length=512)
        tokenizer.save_pretrained(out)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=MARIAN_VOCAB, decoder_vocab_size=MARIAN_VOCAB, d_model=512, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
        max_position_embeddings=512, activation_function="swish", pad_token_id=pad, eos_token_id=0,
        decoder_start_token_id=pad, forced_eos_token_id=0, share_encoder_decoder_embeddings=True,
        scale_embedding=True, static_position_embeddings=True, architectures=["MarianMTModel"],
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    with torch.no_grad():
        # Random decoding picks English word-initial pieces only: the translation is then English-like words,
        # which the BART tokenizer counts realistically (~1.1 tokens/word) instead of byte soup.
        allowed = torch.tensor(sorted({0} | {vocab[p] for p in english_words}))
        model.final_logits_bias.fill_(-1e4)
        model.final_logits_bias[0, allowed] = 0.0
    # opus-mt-nl-en's generation defaults (config.json of the hub snapshot).
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]], decoder_start_token_id=pad, pad_token_id=pad, eos_token_id=0,
        forced_eos_token_id=0, max_length=512, num_beams=4,
    )
    model.save_pretrained(out)
    (out / "BENCHMARK_MODEL.txt").write_text(f"random weights; {real} real pieces, padded to {MARIAN_VOCAB}\n")
    return out


def build_bart(out: Path, seed: int = 0) -> Path:
    """distilbart-cnn-12-6 shapes: d_model 1024, 12+6 layers, 16 heads, FFN 4096, GELU, 50,264 vocabulary."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer, GenerationConfig

    out.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_flores("en"), vocab_size=BART_VOCAB - 1, min_frequency=1, special_tokens=specials)
    with tempfile.TemporaryDirectory() as tmp:
        bpe.save_model(tmp)
        vocab = json.loads((Path(tmp) / "vocab.json").read_text(encoding="utf-8"))
        real = len(vocab)
        while len(vocab) < BART_VOCAB - 1:
            vocab[f"<dummy_{len(vocab)}>"] = len(vocab)
        vocab["<mask>"] = len(vocab)  # last id, as in facebook/bart-large's vocabulary
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = BartTokenizer(vocab=str(Path(tmp) / "vocab.json"), merges=str(Path(tmp) / "merges.txt"),
                                  model_max_length=1024)
        tokenizer.save_pretrained(out)
    ids = tokenizer.get_vocab()
    config = BartConfig(
        vocab_size=BART_VOCAB, d_model=1024, encoder_layers=12, decoder_layers=6, encoder_attention_heads=16,
        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
        activation_function="gelu", bos_token_id=ids["<s>"], pad_token_id=ids["<pad>"], eos_token_id=ids["</s>"],
        decoder_start_token_id=ids["</s>"], forced_bos_token_id=ids["<s>"], forced_eos_token_id=ids["</s>"],
        architectures=["BartForConditionalGeneration"],
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config).eval()
    with torch.no_grad():
        model.final_logits_bias[0, real:] = -1e4
    # distilbart-cnn-12-6's generation defaults (its config.json "task_specific_params"/generation config).
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<s>"], pad_token_id=ids["<pad>"], eos_token_id=ids["</s>"],
        decoder_start_token_id=ids["</s>"], forced_bos_token_id=ids["<s>"], forced_eos_token_id=ids["</s>"],
        num_beams=4, max_length=142, min_length=56, no_repeat_ngram_size=3, length_penalty=2.0,
        early_stopping=True,
    )
    model.save_pretrained(out)
    (out / "BENCHMARK_MODEL.txt").write_text(f"random weights; {real} real BPE tokens, padded to {BART_VOCAB}\n")
    return out


def parameter_count(model_dir: Path) -> int:
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as fh:
        return sum(_prod(fh.get_slice(k).get_shape()) for k in fh.keys())  # noqa: SIM118


def _prod(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
