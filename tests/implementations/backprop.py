"""Independent implementations of the backprop assignment's tasks (see activations.py for the format)."""

ALTERNATIVE = {
    # the sigmoid by tanh; the layers with einsum and np.dot
    "forward-answer": '''\
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def forward(X, W1, b1, W2, b2):
    z1 = np.einsum("ni,ih->nh", X, W1) + b1
    a1 = sigmoid(z1)
    z2 = np.dot(a1, W2) + b2
    return z1, a1, z2, sigmoid(z2)
''',
    # softplus with np.logaddexp: y softplus(-z) + (1 - y) softplus(z)
    "bce-answer": '''\
def bce_loss(z2, Y):
    z2 = np.asarray(z2, dtype=np.float64)
    return float(np.mean(Y * np.logaddexp(0.0, -z2) + (1 - Y) * np.logaddexp(0.0, z2)))
''',
    # sigma'(z) = sigma(z) sigma(-z); the hidden error by broadcasting instead of @
    "deltas-answer": '''\
def deltas(z1, y_hat, Y, W2):
    delta2 = (y_hat - Y) / len(Y)
    delta1 = delta2 * W2[:, 0] * sigmoid(z1) * sigmoid(-z1)
    return delta1, delta2
''',
    # a loop over the samples, summing outer products
    "backward-answer": '''\
def backward(X, Y, W1, b1, W2, b2):
    z1, a1, z2, y_hat = forward(X, W1, b1, W2, b2)
    d1, d2 = deltas(z1, y_hat, Y, W2)
    grads = {"W1": np.zeros(W1.shape), "b1": np.zeros(b1.shape), "W2": np.zeros(W2.shape), "b2": np.zeros(b2.shape)}
    for n in range(X.shape[0]):
        grads["W1"] = grads["W1"] + np.outer(X[n], d1[n])
        grads["b1"] = grads["b1"] + d1[n]
        grads["W2"] = grads["W2"] + np.outer(a1[n], d2[n])
        grads["b2"] = grads["b2"] + d2[n]
    return grads
''',
    # np.ndindex over the entries, fresh copies for every evaluation
    "numgrad-answer": '''\
def numerical_gradient(f, x, eps=1e-6):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        out[idx] = (f(up) - f(down)) / (2.0 * eps)
    return out
''',
    "sgd-answer": '''\
def sgd_update(params, grads, lr):
    new = {}
    for key, value in params.items():
        new[key] = np.subtract(value, lr * np.asarray(grads[key]))
    return new
''',
    # the weights as four variables, the losses preallocated
    "train-answer": '''\
def train(X, Y, W1, b1, W2, b2, lr, epochs):
    losses = np.zeros(epochs)
    current = dict(W1=W1, b1=b1, W2=W2, b2=b2)
    epoch = 0
    while epoch < epochs:
        g = backward(X, Y, current["W1"], current["b1"], current["W2"], current["b2"])
        current = sgd_update(current, g, lr)
        _, _, z2, _ = forward(X, current["W1"], current["b1"], current["W2"], current["b2"])
        losses[epoch] = bce_loss(z2, Y)
        epoch += 1
    return current, losses
''',
    # the logit thresholded at 0, as the task allows
    "predict-answer": '''\
def predict(X, W1, b1, W2, b2):
    z2 = forward(X, W1, b1, W2, b2)[2]
    return np.where(z2 >= 0, 1, 0)
''',
}

WRONG = [
    ("forward_forgets_the_output_bias", "forward-answer", '''\
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, W1, b1, W2, b2):
    z1 = X @ W1 + b1
    a1 = sigmoid(z1)
    z2 = a1 @ W2
    return z1, a1, z2, sigmoid(z2)
'''),
    ("bce_loss_through_the_sigmoid", "bce-answer", '''\
def bce_loss(z2, Y):
    y_hat = 1 / (1 + np.exp(-z2))
    return np.mean(-(Y * np.log(y_hat) + (1 - Y) * np.log(1 - y_hat)))
'''),
    ("deltas_without_1_over_n", "deltas-answer", '''\
def deltas(z1, y_hat, Y, W2):
    delta2 = y_hat - Y
    s = sigmoid(z1)
    return (delta2 @ W2.T) * s * (1 - s), delta2
'''),
    ("backward_averages_the_bias_gradients_again", "backward-answer", '''\
def backward(X, Y, W1, b1, W2, b2):
    z1, a1, z2, y_hat = forward(X, W1, b1, W2, b2)
    delta1, delta2 = deltas(z1, y_hat, Y, W2)
    return {"W1": X.T @ delta1, "b1": delta1.mean(axis=0), "W2": a1.T @ delta2, "b2": delta2.mean(axis=0)}
'''),
    ("numerical_gradient_one_sided", "numgrad-answer", '''\
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x, dtype=float)
    f0 = f(x.copy())
    for i in range(x.size):
        xp = x.copy()
        xp.flat[i] += eps
        grad.flat[i] = (f(xp) - f0) / eps
    return grad
'''),
    ("numerical_gradient_perturbs_x_itself", "numgrad-answer", '''\
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        x.flat[i] += eps
        f_plus = f(x.copy())
        x.flat[i] -= 2 * eps
        f_minus = f(x.copy())
        x.flat[i] += eps  # back to x, up to rounding
        grad.flat[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    ("sgd_update_in_place", "sgd-answer", '''\
def sgd_update(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
    return params
'''),
    ("train_records_the_loss_before_the_update", "train-answer", '''\
def train(X, Y, W1, b1, W2, b2, lr, epochs):
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    losses = []
    for _ in range(epochs):
        losses.append(bce_loss(forward(X, **params)[2], Y))
        params = sgd_update(params, backward(X, Y, **params), lr)
    return params, np.array(losses)
'''),
    ("predict_sends_a_tie_to_class_0", "predict-answer", '''\
def predict(X, W1, b1, W2, b2):
    return (forward(X, W1, b1, W2, b2)[3] > 0.5).astype(int)
'''),
    ("predict_returns_booleans", "predict-answer", '''\
def predict(X, W1, b1, W2, b2):
    return forward(X, W1, b1, W2, b2)[3] >= 0.5
'''),
]

# The model answers of these cells call the functions defined in the key's cell.
USED_BY = {
    "forward-answer": ("backward-answer", "train-answer", "predict-answer"),
    "bce-answer": ("train-answer",),
    "deltas-answer": ("backward-answer", "train-answer"),
    "backward-answer": ("train-answer",),
    "sgd-answer": ("train-answer",),
}
