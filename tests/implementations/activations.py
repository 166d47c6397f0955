"""Independent implementations of the activations assignment's tasks.

ALTERNATIVE: grade id of an answer cell -> a CORRECT implementation written from the task's text,
independently of the model answer (another algorithm or style). WRONG: (name, grade id, source),
one typical student bug each. USED_BY: the answer cells whose model answer calls the functions of
another answer cell (a bug there may also cost the points of those tasks).
"""

ALTERNATIVE = {
    # tanh form: sigma(z) = (1 + tanh(z / 2)) / 2, no exp at all
    "sigmoid-answer": '''\
def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * z))
''',
    # sigma'(z) = sigma(z) sigma(-z), with the student's own sigmoid
    "sigmoid-grad-answer": '''\
def sigmoid_grad(z):
    z = np.asarray(z, dtype=np.float64)
    return sigmoid(z) * sigmoid(-z)
''',
    # multiplication by a mask instead of np.maximum / np.where
    "relu-answer": '''\
def relu(z):
    z = np.array(z, dtype=np.float64)
    return z * (z > 0)


def relu_grad(z):
    z = np.asarray(z, dtype=np.float64)
    return (z > 0) * 1.0
''',
    # z minus (1 - alpha) times the negative part; the derivative filled in a fresh array
    "leaky-answer": '''\
def leaky_relu(z, alpha=0.01):
    z = np.asarray(z, dtype=np.float64)
    return z - (1.0 - alpha) * np.minimum(z, 0.0)


def leaky_relu_grad(z, alpha=0.01):
    z = np.asarray(z, dtype=np.float64)
    grad = np.ones(z.shape)
    grad[z <= 0] = alpha
    return grad
''',
    # exp(z - logsumexp(z)) along the axis
    "softmax-answer": '''\
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    top = z.max(axis=axis, keepdims=True)
    lse = top + np.log(np.exp(z - top).sum(axis=axis, keepdims=True))
    return np.exp(z - lse)
''',
    # one slice at a time with np.apply_along_axis
    "log-softmax-answer": '''\
def _log_softmax_1d(v):
    m = v.max()
    return v - m - np.log(np.sum(np.exp(v - m)))


def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    return np.apply_along_axis(_log_softmax_1d, axis, z)
''',
    # double loop over J[i, j] = s_i (delta_ij - s_j), its own stable softmax
    "jacobian-answer": '''\
def softmax_jacobian(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    s = e / e.sum()
    K = len(s)
    J = np.empty((K, K))
    for i in range(K):
        for j in range(K):
            J[i, j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
    return J
''',
    # einsum instead of @
    "collapse-answer": '''\
def collapse_linear(W1, b1, W2, b2):
    W = np.einsum("ij,jk->ik", np.asarray(W1, dtype=float), np.asarray(W2, dtype=float))
    b = np.einsum("j,jk->k", np.asarray(b1, dtype=float), np.asarray(W2, dtype=float)) + b2
    return W, b
''',
}

WRONG = [
    ("sigmoid_as_exp_z_over_one_plus_exp_z", "sigmoid-answer", '''\
def sigmoid(z):
    return np.exp(z) / (1 + np.exp(z))  # inf / inf = nan for z > 709
'''),
    ("sigmoid_grad_unstable_exp", "sigmoid-grad-answer", '''\
def sigmoid_grad(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2  # inf / inf = nan for z < -709
'''),
    ("relu_grad_is_one_at_zero", "relu-answer", '''\
def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    return np.where(z >= 0, 1.0, 0.0)
'''),
    ("leaky_relu_modifies_its_input", "leaky-answer", '''\
def leaky_relu(z, alpha=0.01):
    z[z < 0] *= alpha
    return z


def leaky_relu_grad(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)
'''),
    ("leaky_relu_grad_is_one_at_zero", "leaky-answer", '''\
def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    return np.where(z >= 0, 1.0, alpha)
'''),
    ("leaky_relu_as_max_of_z_and_alpha_z", "leaky-answer", '''\
def leaky_relu(z, alpha=0.01):
    return np.maximum(z, alpha * z)  # right for alpha <= 1 only; the task allows any alpha >= 0


def leaky_relu_grad(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)
'''),
    ("softmax_sums_over_every_axis", "softmax-answer", '''\
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e)
'''),
    ("softmax_shifted_by_the_global_max", "softmax-answer", '''\
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z))  # one shift for every slice: underflows to 0/0 for slices far apart
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    ("log_softmax_shifted_by_the_global_max", "log-softmax-answer", '''\
def log_softmax(z, axis=-1):
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
'''),
    ("log_softmax_as_log_of_softmax", "log-softmax-answer", '''\
def log_softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return np.log(e / np.sum(e, axis=axis, keepdims=True))  # log(0) = -inf for z = (0, -1e4)
'''),
    ("softmax_jacobian_diagonal_only", "jacobian-answer", '''\
def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s * (1 - s))
'''),
    ("collapse_linear_forgets_b2", "collapse-answer", '''\
def collapse_linear(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2
'''),
]

USED_BY = {"softmax-answer": ("jacobian-answer",)}
