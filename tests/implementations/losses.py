"""Independent implementations of the losses assignment's tasks (see activations.py for the format)."""

ALTERNATIVE = {
    # a dot product of the flattened residuals; the gradient from np.size
    "mse-answer": '''\
def mse(pred, target):
    r = (np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)).ravel()
    return float(r @ r) / r.size


def mse_grad(pred, target):
    pred = np.asarray(pred, dtype=np.float64)
    return 2.0 * (pred - target) / np.size(pred)
''',
    # 0.5 q^2 + delta (|r| - q) with q = min(|r|, delta); the gradient with np.sign
    "huber-answer": '''\
def huber(pred, target, delta=1.0):
    a = np.abs(np.asarray(pred, dtype=np.float64) - target)
    q = np.minimum(a, delta)
    return float(np.sum(0.5 * q * q + delta * (a - q)) / a.size)


def huber_grad(pred, target, delta=1.0):
    r = np.asarray(pred, dtype=np.float64) - target
    return np.where(np.abs(r) <= delta, r, delta * np.sign(r)) / r.size
''',
    # plain logs of the clipped probabilities
    "bce-answer": '''\
def bce(probs, target):
    p = np.minimum(np.maximum(np.asarray(probs, dtype=np.float64), PROB_EPS), 1 - PROB_EPS)
    y = np.asarray(target, dtype=np.float64)
    terms = y * np.log(p) + (1 - y) * np.log(1 - p)
    return -terms.sum() / terms.size
''',
    # softplus with np.logaddexp
    "logit-bce-answer": '''\
def bce_with_logits(logits, target):
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    return np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z))
''',
    # a loop over the examples; the gradient from a one-hot matrix and exp(z - lse)
    "cross-entropy-answer": '''\
def cross_entropy(logits, labels):
    z = np.asarray(logits, dtype=np.float64)
    total = 0.0
    for row, label in zip(z, labels):
        m = np.max(row)
        total += m + np.log(np.sum(np.exp(row - m))) - row[int(label)]
    return total / z.shape[0]


def cross_entropy_grad(logits, labels):
    z = np.asarray(logits, dtype=np.float64)
    n, c = z.shape
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    onehot = np.eye(c)[np.asarray(labels)]
    return (np.exp(z - lse) - onehot) / n
''',
    # p_t by arithmetic instead of np.where
    "focal-answer": '''\
def focal(probs, target, gamma=2.0):
    p = np.clip(np.asarray(probs, dtype=np.float64), PROB_EPS, 1 - PROB_EPS)
    y = np.asarray(target, dtype=np.float64)
    p_t = y * p + (1 - y) * (1 - p)
    return float(np.mean(-np.power(1 - p_t, gamma) * np.log(p_t)))
''',
    # log of the ratio, computed only where p > 0 (np.divide's where=)
    "kl-answer": '''\
def kl_divergence(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.maximum(np.asarray(q, dtype=np.float64), PROB_EPS)
    ratio = np.divide(p, q, out=np.ones_like(p), where=p > 0)
    terms = p * np.log(ratio)
    n_dist = p.size // p.shape[-1]
    return float(terms.sum() / n_dist)
''',
    "smoothing-answer": '''\
def smooth_labels(onehot, eps):
    onehot = np.asarray(onehot, dtype=np.float64)
    C = onehot.shape[-1]
    return onehot - eps * onehot + np.full(onehot.shape, eps / C)
''',
}

WRONG = [
    ("mse_grad_without_the_factor_2", "mse-answer", '''\
def mse(pred, target):
    return np.mean((pred - target) ** 2)


def mse_grad(pred, target):
    return (pred - target) / np.size(pred)
'''),
    ("huber_grad_without_1_over_n", "huber-answer", '''\
def huber(pred, target, delta=1.0):
    r = np.abs(pred - target)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta)))


def huber_grad(pred, target, delta=1.0):
    return np.clip(pred - target, -delta, delta)
'''),
    ("bce_without_clipping", "bce-answer", '''\
def bce(probs, target):
    return np.mean(-(target * np.log(probs) + (1 - target) * np.log(1 - probs)))
'''),
    ("bce_with_logits_through_the_sigmoid", "logit-bce-answer", '''\
def bce_with_logits(logits, target):
    p = 1 / (1 + np.exp(-logits))
    return np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p)))
'''),
    ("cross_entropy_grad_divides_by_n_times_c", "cross-entropy-answer", '''\
def cross_entropy(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(lse - logits[np.arange(len(logits)), labels])


def cross_entropy_grad(logits, labels):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(logits)), labels] -= 1
    return grad / logits.size
'''),
    ("cross_entropy_shifted_by_the_global_max", "cross-entropy-answer", '''\
def cross_entropy(logits, labels):
    m = logits.max()  # one shift for the whole batch
    lse = m + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(lse - logits[np.arange(len(logits)), labels])


def cross_entropy_grad(logits, labels):
    e = np.exp(logits - logits.max())
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(logits)), labels] -= 1
    return grad / len(logits)
'''),
    ("focal_modulates_with_1_minus_p_not_p_t", "focal-answer", '''\
def focal(probs, target, gamma=2.0):
    p = np.clip(probs, PROB_EPS, 1 - PROB_EPS)
    p_t = np.where(target == 1, p, 1 - p)
    return np.mean(-((1 - p) ** gamma) * np.log(p_t))
'''),
    ("kl_divergence_mean_over_classes_too", "kl-answer", '''\
def kl_divergence(p, q):
    q = np.maximum(q, PROB_EPS)
    safe_p = np.where(p > 0, p, 1.0)
    return np.mean(np.where(p > 0, p * np.log(safe_p / q), 0.0))
'''),
    ("kl_divergence_clips_q_on_both_sides", "kl-answer", '''\
def kl_divergence(p, q):
    q = np.clip(q, PROB_EPS, 1 - PROB_EPS)  # the task clips q below only: q = 1 must stay 1
    safe_p = np.where(p > 0, p, 1.0)
    return np.mean(np.where(p > 0, p * (np.log(safe_p) - np.log(q)), 0.0).sum(axis=-1))
'''),
    ("smooth_labels_counts_classes_on_the_first_axis", "smoothing-answer", '''\
def smooth_labels(onehot, eps):
    return (1 - eps) * onehot + eps / onehot.shape[0]
'''),
]

USED_BY = {}
