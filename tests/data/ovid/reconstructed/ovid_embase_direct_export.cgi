<1. >
VN  - Ovid Technologies
DB  - Embase
UI  - 2011234567
ST  - CONFERENCE ABSTRACT
TI  - Probiotic Lactobacillus rhamnosus GG for antibiotic-associated diarrhoea.
SO  - Gut Microbes Reports. Conference: 5th Example Gut Meeting. Italy. 3 (Supplement 1) (no pagination), 2021. Date of Publication: 2021.
AU  - Rossi M.
AU  - Bianchi L.
IN  - (Rossi, Bianchi) Department of Gastroenterology, Example Hospital, Milan, Italy
AD  - M. Rossi, Department of Gastroenterology, Example Hospital, Milan, Italy
CP  - Italy
MH  - *antibiotic associated diarrhea
MH  - human
MH  - *probiotic agent
AB  - Conference abstract.
IS  - 2000-0000
DO  - http://dx.doi.org/10.5555/gmr.2021.1002
LG  - English
PT  - Conference Abstract
YR  - 2021

<2. >
VN  - Ovid Technologies
DB  - Embase
UI  - 2011234568
ST  - ARTICLE
TI  - Oral rehydration solution of reduced osmolarity in adults with cholera.
SO  - Journal of Diarrhoeal Research. 14 (1) (pp 33-39), 1998. Date of Publication: 1998.
AU  - Dubois A.
AU  - Moreau P.
AB  - Reduced-osmolarity oral rehydration solution was compared with the standard solution in 120 adults with cholera.
LG  - English
PT  - Journal: Article
YR  - 1998



