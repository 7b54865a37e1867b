-- CreateTable
CREATE TABLE "Prefecture" (
    "code" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "County" (
    "code" TEXT NOT NULL PRIMARY KEY,
    "nameZh" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "prefectureCode" TEXT NOT NULL,
    CONSTRAINT "County_prefectureCode_fkey" FOREIGN KEY ("prefectureCode") REFERENCES "Prefecture" ("code") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CountyAdjacency" (
    "codeA" TEXT NOT NULL,
    "codeB" TEXT NOT NULL,
    "sharedBorderM" REAL,

    PRIMARY KEY ("codeA", "codeB")
);

-- CreateTable
CREATE TABLE "Indicator" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "label" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "role" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Dataset" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "provenance" TEXT NOT NULL,
    "synthetic" BOOLEAN NOT NULL DEFAULT false,
    "importedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checksum" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Observation" (
    "datasetId" INTEGER NOT NULL,
    "countyCode" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "indicatorKey" TEXT NOT NULL,
    "value" REAL NOT NULL,

    PRIMARY KEY ("datasetId", "countyCode", "year", "indicatorKey"),
    CONSTRAINT "Observation_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Observation_countyCode_fkey" FOREIGN KEY ("countyCode") REFERENCES "County" ("code") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Observation_indicatorKey_fkey" FOREIGN KEY ("indicatorKey") REFERENCES "Indicator" ("key") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AccountRecord" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "datasetId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "countyCode" TEXT NOT NULL,
    "agency" TEXT NOT NULL,
    "registeredOn" DATETIME NOT NULL,
    CONSTRAINT "AccountRecord_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AccountRecord_countyCode_fkey" FOREIGN KEY ("countyCode") REFERENCES "County" ("code") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FittedModel" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Scenario" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "modelId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "interventions" TEXT NOT NULL,
    "options" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Scenario_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "FittedModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

