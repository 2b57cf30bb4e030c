FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY inference inference
COPY web web
COPY templates templates
COPY static static
COPY sw sw
# Installed as a wheel (templates, static files and the service worker inside it);
# EXTRAS="[gpu]" adds torch for the GPU profile (docker-compose.yml)
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS}"
EXPOSE 8000
CMD ["markscan", "serve", "--host", "0.0.0.0", "--port", "8000", "--data", "/data"]
