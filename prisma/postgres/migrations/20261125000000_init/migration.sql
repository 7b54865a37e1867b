-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Prefecture" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,

    CONSTRAINT "Prefecture_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "County" (
    "code" TEXT NOT NULL,
    "nameZh" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "prefectureCode" TEXT NOT NULL,

    CONSTRAINT "County_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "CountyAdjacency" (
    "codeA" TEXT NOT NULL,
    "codeB" TEXT NOT NULL,
    "sharedBorderM" DOUBLE PRECISION,

    CONSTRAINT "CountyAdjacency_pkey" PRIMARY KEY ("codeA","codeB")
);

-- CreateTable
CREATE TABLE "Indicator" (
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    CONSTRAINT "Indicator_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Dataset" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "provenance" TEXT NOT NULL,
    "synthetic" BOOLEAN NOT NULL DEFAULT false,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checksum" TEXT NOT NULL,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Observation" (
    "datasetId" INTEGER NOT NULL,
    "countyCode" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "indicatorKey" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "Observation_pkey" PRIMARY KEY ("datasetId","countyCode","year","indicatorKey")
);

-- CreateTable
CREATE TABLE "AccountRecord" (
    "id" SERIAL NOT NULL,
    "datasetId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "countyCode" TEXT NOT NULL,
    "agency" TEXT NOT NULL,
    "registeredOn" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AccountRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FittedModel" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FittedModel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Scenario" (
    "id" SERIAL NOT NULL,
    "modelId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "interventions" TEXT NOT NULL,
    "options" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Scenario_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "County_prefectureCode_idx" ON "County"("prefectureCode");

-- CreateIndex
CREATE INDEX "CountyAdjacency_codeB_idx" ON "CountyAdjacency"("codeB");

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_name_key" ON "Dataset"("name");

-- CreateIndex
CREATE INDEX "Observation_datasetId_indicatorKey_year_idx" ON "Observation"("datasetId", "indicatorKey", "year");

-- CreateIndex
CREATE INDEX "Observation_countyCode_idx" ON "Observation"("countyCode");

-- CreateIndex
CREATE INDEX "AccountRecord_datasetId_countyCode_idx" ON "AccountRecord"("datasetId", "countyCode");

-- CreateIndex
CREATE UNIQUE INDEX "FittedModel_fingerprint_key" ON "FittedModel"("fingerprint");

-- CreateIndex
CREATE INDEX "Scenario_modelId_idx" ON "Scenario"("modelId");

-- AddForeignKey
ALTER TABLE "County" ADD CONSTRAINT "County_prefectureCode_fkey" FOREIGN KEY ("prefectureCode") REFERENCES "Prefecture"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Observation" ADD CONSTRAINT "Observation_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Observation" ADD CONSTRAINT "Observation_countyCode_fkey" FOREIGN KEY ("countyCode") REFERENCES "County"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Observation" ADD CONSTRAINT "Observation_indicatorKey_fkey" FOREIGN KEY ("indicatorKey") REFERENCES "Indicator"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccountRecord" ADD CONSTRAINT "AccountRecord_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccountRecord" ADD CONSTRAINT "AccountRecord_countyCode_fkey" FOREIGN KEY ("countyCode") REFERENCES "County"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Scenario" ADD CONSTRAINT "Scenario_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "FittedModel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

