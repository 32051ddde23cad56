# One image for every MAGNET service; pick one with `magnet serve <name>`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MAGNET_HOST=0.0.0.0

WORKDIR /app

# Dependency layer: only rebuilt when the metadata or constraints change.
# Empty package stubs let setuptools build the project without the source.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir shared services cli \
    && touch shared/__init__.py services/__init__.py cli/__init__.py \
    && pip install --no-cache-dir -c constraints.txt . \
    && rm -rf build *.egg-info

# Editable install: the code locates alembic.ini and migrations/ from the repo root.
COPY . .
# A numeric user, so that Kubernetes can check `runAsNonRoot` (deploy/kubernetes).
# /var/lib/magnet: the worker's local mail folder when no SMTP server is configured (a
# named volume mounted there starts with this directory's owner).
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --system --uid 10001 --user-group magnet \
    && install -d -o magnet /var/lib/magnet

USER 10001

EXPOSE 8000

ENTRYPOINT ["magnet"]
CMD ["serve", "gateway"]
