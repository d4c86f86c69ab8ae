"""Synthetic labelled documents for the distill tests: a label's own topic
words among common words, so that a bag of words can learn the label.

doc(rng, i, label, tag, n, p_topic) draws n words: a common word with
probability 0.5, a word of the label's topic up to p_topic, a word of a
random topic above it (p_topic = 1: never)."""

SHARED = "the of and a to in is that it for on with as was this by are".split()
TOPIC = {k: [f"w{k}x{j}" for j in range(40)] for k in range(6)}


def doc(rng, i, label, tag, n, p_topic):
    words = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5: words.append(rng.choice(SHARED))
        elif r < p_topic: words.append(rng.choice(TOPIC[label]))
        else: words.append(rng.choice(TOPIC[rng.randrange(6)]))
    return {"id": f"{tag}{i}", "text": " ".join(words) + ".", "metadata": {"score": label}}
