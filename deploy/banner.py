"""What ``make hub`` prints before the hub starts: where it is and how students get in."""
from deploy.setup import Settings


def main() -> None:
    s = Settings.from_env()
    url = f"http://{s.ip}:{s.port}"
    print(f"""
The course's JupyterHub: {url}/   (folder {s.dir}; stop it with Ctrl-C)

  Instructor  sign up first, at {url}/hub/signup, as '{s.instructor}' (the hub's admin);
              JupyterLab opens in your course folder /home/{s.instructor}/course:
              menu Nbgrader > Formgrader to release, collect, autograde and give feedback.
  Students    put their ids, one a line, in {s.dir}/students.txt and restart the hub;
              each signs up at {url}/hub/signup with that id and a password of their own,
              and logs in at {url}/hub/login. Anyone not on the list waits for your approval
              at {url}/hub/authorize.
  Limits      {s.mem_limit} memory and {s.cpu_limit:g} CPU per server; idle servers stop after {s.cull_timeout} s.

Listening on {s.ip} only: to open it to a class, put a TLS proxy (e.g. nginx or Caddy) in front
and see README, "Running the course on a JupyterHub".
""", flush=True)


if __name__ == "__main__":
    main()
