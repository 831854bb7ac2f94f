import torch
import torch.nn as nn


class SentimentClassifier(nn.Module):
    def __init__(self, vocab_size=20000, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 128)
        self.rnn = nn.LSTM(128, 1024, batch_first=True)
        self.head = nn.Linear(1024, num_classes)

    def forward(self, x):
        _, (h, _) = self.rnn(self.embedding(x))
        return self.head(h[-1])


def train(model, batches):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
