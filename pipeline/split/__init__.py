"""Stage 2, sentences: the splitter (``beknopt.split.sentences``) and its pipeline stage
(``beknopt.split.stage.SplitStage``)."""

from beknopt.split.sentences import fit_sentences, split_long_sentence, split_paragraphs, split_sentences

__all__ = ["fit_sentences", "split_long_sentence", "split_paragraphs", "split_sentences"]
