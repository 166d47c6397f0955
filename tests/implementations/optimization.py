"""Independent implementations of the optimization assignment's tasks (see activations.py for the format)."""

ALTERNATIVE = {
    # update a copy in place
    "gd-step-answer": '''\
def gd_step(w, grad, lr):
    new = np.array(w, dtype=np.float64, copy=True)
    new -= lr * np.asarray(grad, dtype=np.float64)
    return new
''',
    # explicit branches, np.copy for the first buffer
    "sgd-momentum-step-answer": '''\
def sgd_momentum_step(w, grad, buf, lr, momentum, nesterov=False):
    grad = np.asarray(grad, dtype=np.float64)
    if buf is None:
        new_buf = np.copy(grad)
    else:
        new_buf = np.add(np.multiply(buf, momentum), grad)
    if nesterov:
        direction = np.add(grad, np.multiply(new_buf, momentum))
    else:
        direction = new_buf
    return np.subtract(w, np.multiply(direction, lr)), new_buf
''',
    # the moving average as a lerp: v + (1 - alpha) (g^2 - v)
    "rmsprop-step-answer": '''\
def rmsprop_step(w, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    grad = np.asarray(grad, dtype=np.float64)
    v = square_avg + (1.0 - alpha) * (np.square(grad) - square_avg)
    return w - lr * grad / (np.sqrt(v) + eps), v
''',
    # torch's folded form: the corrections in the step size and the denominator
    "adam-step-answer": '''\
def adam_step(w, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    grad = np.asarray(grad, dtype=np.float64)
    m_new = m + (1.0 - b1) * (grad - m)
    v_new = b2 * v + (1.0 - b2) * np.square(grad)
    step_size = lr / (1.0 - b1 ** t)
    denom = np.sqrt(v_new) / np.sqrt(1.0 - b2 ** t) + eps
    return w - step_size * m_new / denom, m_new, v_new
''',
    # math.cos per entry, vectorised with np.vectorize
    "cosine-annealing-answer": '''\
import math


def cosine_annealing(epoch, lr0, T_max, eta_min=0.0):
    def one(e):
        return eta_min + 0.5 * (lr0 - eta_min) * (1.0 + math.cos(math.pi * float(e) / T_max))
    return np.vectorize(one, otypes=[float])(epoch)
''',
    # shuffle an arange in place, then np.array_split at multiples of batch_size
    "minibatch-indices-answer": '''\
def minibatch_indices(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return list(np.array_split(order, np.arange(batch_size, n, batch_size)))
''',
    # a preallocated trajectory
    "adam-minimize-answer": '''\
def adam_minimize(grad_fn, w0, lr, steps, betas=(0.9, 0.999), eps=1e-8):
    w0 = np.asarray(w0, dtype=np.float64)
    path = np.empty((steps + 1,) + w0.shape)
    path[0] = w0
    m = np.zeros(w0.shape)
    v = np.zeros(w0.shape)
    for i in range(steps):
        w_next, m, v = adam_step(path[i].copy(), grad_fn(path[i].copy()), m, v, i + 1, lr, betas, eps)
        path[i + 1] = w_next
    return path
''',
}

WRONG = [
    ("gd_step_modifies_w_in_place", "gd-step-answer", '''\
def gd_step(w, grad, lr):
    w -= lr * grad
    return w
'''),
    ("momentum_buffer_holds_the_learning_rate", "sgd-momentum-step-answer", '''\
def sgd_momentum_step(w, grad, buf, lr, momentum, nesterov=False):
    buf_new = lr * grad if buf is None else momentum * buf + lr * grad
    d = lr * grad + momentum * buf_new if nesterov else buf_new
    return w - d, buf_new
'''),
    ("rmsprop_eps_inside_the_square_root", "rmsprop-step-answer", '''\
def rmsprop_step(w, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return w - lr * grad / np.sqrt(v + eps), v
'''),
    ("adam_without_bias_correction", "adam-step-answer", '''\
def adam_step(w, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    m_new = betas[0] * m + (1 - betas[0]) * grad
    v_new = betas[1] * v + (1 - betas[1]) * grad**2
    return w - lr * m_new / (np.sqrt(v_new) + eps), m_new, v_new
'''),
    ("cosine_annealing_ignores_eta_min_in_the_amplitude", "cosine-annealing-answer", '''\
def cosine_annealing(epoch, lr0, T_max, eta_min=0.0):
    return eta_min + lr0 * (1 + np.cos(np.pi * np.asarray(epoch) / T_max)) / 2
'''),
    ("minibatch_indices_uses_the_global_generator", "minibatch-indices-answer", '''\
def minibatch_indices(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    ("minibatch_indices_drops_the_last_partial_batch", "minibatch-indices-answer", '''\
def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
'''),
    ("adam_minimize_trajectory_without_w0", "adam-minimize-answer", '''\
def adam_minimize(grad_fn, w0, lr, steps, betas=(0.9, 0.999), eps=1e-8):
    w, m, v = w0, np.zeros_like(w0), np.zeros_like(w0)
    path = []
    for t in range(1, steps + 1):
        w, m, v = adam_step(w, grad_fn(w), m, v, t, lr, betas, eps)
        path.append(w)
    return np.array(path)
'''),
]

USED_BY = {"adam-step-answer": ("adam-minimize-answer",)}
