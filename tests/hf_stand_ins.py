"""A tiny BERT and token data for the Hugging Face plane's tests and their child processes
(helpers, not tests): built from a config, nothing downloaded."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader

EXAMPLES, BATCH = 24, 5  # batches of 5, 5, 5, 5 and 4: weighted by size, or the mean is off


class Tokens(torch.utils.data.Dataset):
    """Sequences of token ids, labelled by whether token 7 occurs (``labels=False``: none)."""

    def __init__(self, n=EXAMPLES, length=6, *, labels=True):
        g = torch.Generator().manual_seed(1)
        self.ids = torch.randint(0, 30, (n, length), generator=g)
        self.labels = (self.ids == 7).any(dim=1).long()
        self.with_labels = labels

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        out = {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i])}
        if self.with_labels:
            out["labels"] = self.labels[i]
        return out


def tiny_bert(seed=0):
    """A BERT sequence classifier of about a thousand parameters, with dropout (off in eval
    mode, so a plane computed in train mode would differ)."""
    import transformers

    config = transformers.BertConfig(
        vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=8, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(seed)
    return transformers.BertForSequenceClassification(config)


def loader(**kwargs):
    """The tokens as dict batches, in order."""
    return DataLoader(Tokens(**kwargs), batch_size=BATCH)
