"""The course on one machine: JupyterHub with nbgrader's exchange (see README, "Running the
course on a JupyterHub"). ``jupyterhub_config.py`` is the hub's configuration; the modules are
what it needs that JupyterHub and nbgrader do not ship."""
