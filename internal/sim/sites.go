package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// siteTable lists the ATLAS sites of the simulated grid, one per line:
// cloud, country code, tier, flags, name and optional federation (rc).
// Flags: n nucleus, h HPC (no storage, resource_type "hpc"), s special
// (no storage of its own), - none. Without an rc column the federation is
// derived by federationOf.
const siteTable = `
CA CA 1 n TRIUMF-LCG2 CA-TRIUMF
CA CA 2 - CA-SFU-T2
CA CA 2 - CA-VICTORIA-WESTGRID-T2
CA CA 2 - CA-WATERLOO-T2
CA CA 2 - CA-MCGILL-CLUMEQ-T2
CA CA 2 - CA-ALBERTA-WESTGRID-T2
CA CA 2 - CA-SCINET-T2
CA CA 3 s CA-UVIC-CLOUD
CERN CH 0 n CERN-PROD CH-CERN
CERN CH 2 s CERN-P1 CH-CERN
CERN CH 3 s BOINC
CERN CH 2 - CERN-EXTENSION CH-CERN
DE DE 1 n FZK-LCG2 DE-KIT
DE DE 2 n DESY-HH
DE DE 2 - DESY-ZN
DE DE 2 n LRZ-LMU
DE DE 2 - MPPMU
DE DE 2 - GoeGrid
DE DE 2 - UNI-FREIBURG
DE DE 2 - wuppertalprod
DE DE 3 - UNI-BONN
DE DE 2 h LRZ-LMU_C2PAP
DE DE 2 h MPPMU-HYDRA
DE DE 3 - TUDresden-ZIH
DE CZ 2 n praguelcg2
DE PL 2 - CYFRONET-LCG2
DE PL 2 - PSNC
DE CH 2 - UNIBE-LHEP
DE CH 2 - CSCS-LCG2
DE SK 2 - FMPhI-UNIBA
DE SK 2 - IEPSAS-Kosice
DE AT 3 - HEPHY-UIBK
ES ES 1 n pic ES-PIC
ES ES 2 n IFIC-LCG2
ES ES 2 - UAM-LCG2
ES ES 2 - ifae
ES PT 2 - NCG-INGRID-PT
ES PT 2 - LIP-Lisbon
ES ES 2 h BSC_MareNostrum4
ES ES 3 - CESGA
FR FR 1 n IN2P3-CC FR-CCIN2P3
FR FR 2 n GRIF
FR FR 2 - IN2P3-LAPP
FR FR 2 - IN2P3-LPC
FR FR 2 - IN2P3-LPSC
FR FR 2 - IN2P3-CPPM
FR FR 2 h IDRIS-JEANZAY
FR JP 2 n TOKYO-LCG2
FR CN 2 - BEIJING-LCG2
FR RO 2 - RO-07-NIPNE
FR RO 2 - RO-02-NIPNE
FR RO 2 - RO-14-ITIM
FR RO 2 - RO-16-UAIC
FR HK 3 - HK-LCG2
IT IT 1 n INFN-T1 IT-INFN-CNAF
IT IT 2 n INFN-NAPOLI-ATLAS
IT IT 2 - INFN-ROMA1
IT IT 2 n INFN-MILANO-ATLASC
IT IT 2 - INFN-FRASCATI
IT IT 3 - INFN-GENOVA
IT IT 3 - INFN-COSENZA
IT IT 3 - INFN-LECCE
IT IT 2 h CINECA-LEONARDO
IT IT 3 - INFN-BOLOGNA-T3
ND DK 1 n NDGF-T1 NDGF
ND SI 2 - SiGNET
ND SI 2 h SiGNET-NSC
ND NO 3 s UIO_CLOUD
ND SE 2 - LUNARC
ND SE 2 - HPC2N
NL NL 1 n SARA-MATRIX NL-T1
NL NL 1 - NIKHEF-ELPROD NL-T1
NL IL 2 - IL-TAU-HEP
NL IL 2 - TECHNION-HEP
NL IL 2 - WEIZMANN-LCG2
NL BE 3 - BEgrid-ULB-VUB
RU RU 1 n RRC-KI-T1 RU-NRC-KI-T1
RU RU 2 - RU-Protvino-IHEP
RU RU 2 - ru-PNPI
RU RU 2 - ITEP
RU RU 2 n JINR-LCG2
RU RU 2 - ru-Moscow-SINP-LCG2
RU RU 2 h RRC-KI-HPC
RU RU 3 - ru-Moscow-FIAN-LCG2
TW TW 1 n Taiwan-LCG2 TW-ASGC
TW TW 2 - TW-FTT
TW AU 2 - Australia-ATLAS
TW AU 3 s Australia-NECTAR
TW MY 3 - MY-UM-T3
UK UK 1 n RAL-LCG2 UK-T1-RAL
UK UK 2 n UKI-LT2-QMUL
UK UK 2 n UKI-NORTHGRID-MAN-HEP
UK UK 2 n UKI-NORTHGRID-LANCS-HEP
UK UK 2 - UKI-NORTHGRID-LIV-HEP
UK UK 2 n UKI-SCOTGRID-GLASGOW
UK UK 2 - UKI-SCOTGRID-ECDF
UK UK 2 - UKI-SOUTHGRID-OX-HEP
UK UK 2 - UKI-SOUTHGRID-RALPP
UK UK 2 - UKI-SOUTHGRID-BHAM-HEP
UK UK 2 - UKI-LT2-RHUL
UK UK 2 - UKI-NORTHGRID-SHEF-HEP
UK UK 2 - UKI-SCOTGRID-DURHAM
UK UK 3 - UKI-SOUTHGRID-CAM-HEP
UK UK 2 - UKI-SOUTHGRID-SUSX
UK UK 3 - UKI-LT2-Brunel
US US 1 n BNL-ATLAS US-T1-BNL
US US 2 n AGLT2
US US 2 n MWT2
US US 2 - NET2
US US 2 n SWT2_CPB US-SWT2
US US 2 - OU_OSCER_ATLAS US-SWT2
US US 2 - WT2
US US 2 - UTA_SWT2 US-SWT2
US US 2 h NERSC
US US 2 h TACC
US US 2 h ALCF
US US 2 h OLCF
US US 3 - LUCILLE
US US 3 - UCHICAGO-T3
US US 3 s BNL-ATLAS-CLOUD
`

// countryNames maps a country code to the name CRIC uses.
var countryNames = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "CA": "Canada", "CH": "Switzerland",
	"CN": "China", "CZ": "Czech Republic", "DE": "Germany", "DK": "Denmark", "ES": "Spain",
	"FR": "France", "HK": "Hong Kong", "IL": "Israel", "IT": "Italy", "JP": "Japan",
	"MY": "Malaysia", "NL": "Netherlands", "NO": "Norway", "PL": "Poland", "PT": "Portugal",
	"RO": "Romania", "RU": "Russian Federation", "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
	"TW": "Taiwan", "UK": "United Kingdom", "US": "USA",
}

// cloudTZ is the hour offset of a cloud's working day, for daily cycles.
var cloudTZ = map[string]float64{
	"CA": -6, "US": -6, "TW": 8, "RU": 3, "UK": 0, "ES": 1, "FR": 1, "DE": 1, "IT": 1, "ND": 1, "NL": 1, "CERN": 1,
}

// frontierOf is the primary Frontier server of each cloud.
var frontierOf = map[string]string{
	"CA": "http://frontier-atlas.lcg.triumf.ca:3128/ATLAS_frontier",
	"US": "http://frontier-atlas.lcg.triumf.ca:3128/ATLAS_frontier",
	"UK": "http://lcgft-atlas.gridpp.rl.ac.uk:3128/frontierATLAS",
	"ND": "http://lcgft-atlas.gridpp.rl.ac.uk:3128/frontierATLAS",
	"NL": "http://lcgft-atlas.gridpp.rl.ac.uk:3128/frontierATLAS",
	"FR": "http://ccfrontier.in2p3.fr:23128/ccin2p3-AtlasFrontier",
	"ES": "http://ccfrontier.in2p3.fr:23128/ccin2p3-AtlasFrontier",
	"RU": "http://ccfrontier.in2p3.fr:23128/ccin2p3-AtlasFrontier",
}

const frontierCERN = "http://atlasfrontier-ai.cern.ch:8000/atlr"

// site is one ATLAS site of the grid.
type site struct {
	idx       int
	name      string
	cloud     string
	cc        string
	tier      int
	nucleus   bool
	hpc       bool
	special   bool
	rc        string
	corepower float64
	weight    float64 // relative size, drives queue count and job volume
	queues    []*queue
}

func (s *site) country() string { return countryNames[s.cc] }

// hasStorage reports whether the site has its own DDM endpoints.
func (s *site) hasStorage() bool { return !s.hpc && !s.special && s.tier < 3 }

// rsePrefix is the prefix of the site's RSE names.
func (s *site) rsePrefix() string {
	switch s.name {
	case "BNL-ATLAS":
		return "BNL-OSG2"
	case "WT2":
		return "SLACXRD"
	}
	return strings.ToUpper(s.name)
}

func (s *site) tierName() string {
	switch {
	case s.tier == 0:
		return "T0"
	case s.tier == 1:
		return "T1"
	case s.tier == 2 && s.nucleus:
		return "T2D"
	case s.tier == 2:
		return "T2"
	}
	return "T3"
}

// parseSites reads siteTable; a malformed table is a programming error.
func parseSites() []*site {
	var out []*site
	for line := range strings.SplitSeq(strings.TrimSpace(siteTable), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			panic(fmt.Sprintf("BUG: sim site table line %q", line))
		}
		tier, err := strconv.Atoi(f[2])
		if err != nil {
			panic(fmt.Sprintf("BUG: sim site table tier %q", line))
		}
		s := &site{
			name: f[4], cloud: f[0], cc: f[1], tier: tier,
			nucleus: strings.Contains(f[3], "n"), hpc: strings.Contains(f[3], "h"),
			special: strings.Contains(f[3], "s"),
		}
		if len(f) > 5 {
			s.rc = f[5]
		} else {
			s.rc = federationOf(s)
		}
		out = append(out, s)
	}
	return out
}

// federationOf derives a site's WLCG federation (the PQ "rc" field).
func federationOf(s *site) string {
	switch {
	case s.name == "BOINC":
		return "" // volunteer computing belongs to no federation
	case s.hpc:
		return s.cc + "-HPC-" + strings.ToUpper(s.name)
	case s.tier == 3:
		return s.cc + "-Tier3s"
	case s.cc == "US":
		return "US-" + s.name
	case s.cc == "UK":
		for _, region := range []string{"LT2:UK-London-Tier2", "NORTHGRID:UK-NorthGrid", "SCOTGRID:UK-ScotGrid", "SOUTHGRID:UK-SouthGrid"} {
			k, v, _ := strings.Cut(region, ":")
			if strings.Contains(s.name, k) {
				return v
			}
		}
	}
	return s.cc + "-ATLAS-T2"
}
