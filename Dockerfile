# The controller image: Node.js 20 runs the TypeScript sources through tsx (no build step), as `npx` does locally.
# Not built in this repository's CI (no container engine there); `manifests/deployment.yaml` expects it at /app.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY controller ./controller
COPY metrics ./metrics
COPY policies ./policies
COPY recommend ./recommend
COPY report ./report
COPY resize ./resize
COPY replay ./replay
COPY sim ./sim
COPY demo ./demo
COPY manifests ./manifests
USER node
ENTRYPOINT ["node", "/app/bin/inplace-autoscaler.js"]
CMD ["run", "--in-cluster"]
