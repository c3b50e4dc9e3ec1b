# The Firebase Auth emulator (firebase-tools) for local development with Docker.
FROM node:20-bookworm-slim
RUN npm install -g firebase-tools@15 --no-audit --no-fund && npm cache clean --force
WORKDIR /emulator
RUN printf '{"emulators":{"auth":{"host":"0.0.0.0","port":9099},"ui":{"enabled":false},"singleProjectMode":true}}' > firebase.json
USER node
EXPOSE 9099
CMD ["firebase", "emulators:start", "--only", "auth", "--project", "demo-phoenix"]
