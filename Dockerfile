# Placeholder: the multi-stage image is built in the shipping issue.
FROM node:20.20.2-bookworm-slim
WORKDIR /app
USER node
CMD ["node", "--version"]
