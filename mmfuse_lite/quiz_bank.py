"""The self-check questions of each chapter (see mmfuse_lite.quiz)."""
from .quiz import Question

QUIZZES = {
    # ------------------------------------------------------------------ 1. The Shapes world
    "ch1": [
        Question(
            "The linear probes of section 1.5 read each image averaged down from 32×32 RGB to 8×8. "
            "How many numbers is that image feature vector?",
            192,
            "8 × 8 positions times 3 colour channels is 192 numbers, the image feature of every probe in section 1.5.",
        ),
        Question(
            "A one-object scene is a table: shape (4), colour (6), size (2) and cell (3×3 grid). "
            "How many different one-object tables can occur in the train, val and test splits?",
            414,
            "4 × 6 × 2 × 9 = 432 tables, minus the 2 × 9 = 18 red triangles that section 1.4 holds out of "
            "every split except `heldout`.",
        ),
        Question(
            "On the synergistic task (is this caption true of this image?), what test accuracy does a linear "
            "probe on the concatenated image, text and sound features reach?",
            2,
            "Section 1.5 asserts every probe, the concatenated one included, within a few standard errors of 50%: "
            "truth is an interaction, like an XOR, that a linear function of the joined features cannot express.",
            choices=(
                "Near 100%: together the modalities hold all the information",
                "About 75%: the best a linear model can do on an agreement task",
                "About chance (50%), like each modality alone",
                "Above 90%, because the sound adds the colour the text lacks",
            ),
        ),
        Question(
            "Why is the *text-only* probe at chance on the synergistic task, although the caption is what is judged?",
            0,
            "A hard negative is a valid caption of another scene with one fact changed, so true and false captions "
            "have the same distribution (exercise 1.2).",
            choices=(
                "False captions are ordinary captions of other valid scenes, so the words alone cannot tell them apart",
                "A bag of words throws away the word order that marks a false caption",
                "The vocabulary is too small for a linear probe to separate the classes",
                "False captions contain words outside the grammar, which the tokenizer maps to `<unk>`",
            ),
        ),
        Question(
            "On the query task (\"what colour is the square ?\", 6 colours), where does an *image-only* "
            "linear probe end up?",
            3,
            "The image cannot tell which shape is asked about, but it shows which two or three colours are present, "
            "so it beats 1/6 while the text alone stays near 1/6 (exercise 1.3).",
            choices=(
                "At chance, 1/6: without the question the image says nothing",
                "Near 100%: each scene has only one square",
                "Below chance, because the probe overfits the image noise",
                "Well above 1/6, but far from perfect",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 2. The autoencoder
    "ch2": [
        Question(
            "An encoder with `downsamples=2` and `latent_channels=8` reads a 32×32 image. "
            "How many numbers does its latent hold?",
            512,
            "Two halvings turn 32×32 into an 8×8 grid, with 8 values per position: 8 × 8 × 8 = 512 "
            "(exercise 2.2).",
        ),
        Question(
            r"PSNR is $10 \log_{10}(1/\mathrm{MSE})$. If every pixel carried noise of standard deviation "
            r"$\sigma = 0.035$ and a model returned the clean scene exactly, what PSNR (dB) would it score "
            "against the noisy image? (one decimal)",
            29.1,
            r"The MSE is then $\sigma^2$, so PSNR is $20 \log_{10}(1/0.035) \approx 29.1$ dB, section 2.3's "
            "perfect-denoiser reference.",
            tolerance=0.1,
        ),
        Question(
            "Trained to convergence, the widest autoencoder (1,024 numbers per image) scores slightly *above* "
            "the perfect-denoiser line. What does section 2.5 conclude?",
            1,
            "Section 2.5 measured that the widest model reproduces part of the pixel noise; against the clean "
            "render, 512 and 1,024 numbers score the same.",
            choices=(
                "It reconstructs the scene better than any denoiser could",
                "It has started to copy the pixel noise, which PSNR against the noisy input rewards",
                "The PSNR formula breaks down above 29 dB",
                "It has memorised the test images",
            ),
        ),
        Question(
            "Decode the midpoint $z = (z_A + z_B)/2$ of two test images' latents. What does the plain "
            "autoencoder of section 2.6 produce?",
            2,
            "Section 2.6 asserts that the decoded midpoint is far closer to the pixel average of the two decoded "
            "ends than to either end: shapes fade, they do not move.",
            choices=(
                "The objects drawn halfway between their two positions",
                "A new, plausible scene unlike either image",
                "Something close to a cross-fade of the two pictures",
                "A blank background: midpoints fall outside the training data",
            ),
        ),
        Question(
            r"What does the KL term $\mathrm{KL}(q(z \mid x) \,\|\, p(z))$ of the VAE loss do?",
            3,
            "Section 2.7: averaged over the data it equals the mutual information between x and z plus a "
            "divergence, so minimising it penalises information; the reconstruction term rewards it.",
            choices=(
                "It keeps the mutual information between the input and the code",
                "It measures the reconstruction error in nats",
                "It is a constant that drops out of the loss, as in VQ-VAE",
                "It pulls each posterior towards the prior, which penalises how much z says about x",
            ),
        ),
        Question(
            "Section 2.8 compares VAEs trained to convergence with β = 1, 4, 16 and 64. What happens as β grows?",
            0,
            "Section 2.8 asserts that PSNR and KL both fall with β, and that at β = 64 at most half of the 16 "
            "latent dimensions stay active: posterior collapse.",
            choices=(
                "The KL and the PSNR both fall, and at β = 64 most latent dimensions collapse onto the prior",
                "The PSNR rises, because a smoother latent space is easier to decode",
                "The KL rises, because a larger weight makes the term matter more",
                "Nothing measurable: β only changes the scale of the loss",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 3. VQ-VAE
    "ch3": [
        Question(
            "An image is stored as an 8×8 map of codes from a codebook of K = 128. How many bits does one image take?",
            448,
            r"Each code needs $\log_2 128 = 7$ bits, and there are 64 of them: 448 bits (section 3.8).",
        ),
        Question(
            "What does vector quantisation do to an encoder output $z$?",
            1,
            "Section 3.1: it picks the nearest codebook vector, an argmin; the map is piecewise constant with zero "
            "gradient almost everywhere, which is why the straight-through estimator is needed.",
            choices=(
                "A learned linear projection $W V z + b$ into code space",
                "It replaces $z$ by the codebook vector nearest to it",
                "It rounds every coordinate of $z$ to the nearest integer",
                "It returns a softmax-weighted average of all codebook vectors",
            ),
        ),
        Question(
            "The straight-through estimator is `z_q_st = z_e + (z_q - z_e).detach()`. What are its forward value "
            "and the gradient that reaches `z_e`?",
            2,
            "Forward it equals z_q; backward the detached term contributes nothing, so z_e gets exactly the "
            "gradient sent to z_q, which section 3.2 checks with autograd.",
            choices=(
                "Forward `z_e`; no gradient reaches `z_e`",
                "Forward `z_q`; no gradient reaches `z_e`",
                "Forward `z_q`; `z_e` receives exactly the gradient that reached `z_q_st`",
                "Forward the average of `z_e` and `z_q`; half the gradient reaches `z_e`",
            ),
        ),
        Question(
            "In the VQ-VAE paper, which term does β = 0.25 weight, and which parameters does that term move?",
            0,
            "Section 3.3 shows with autograd that the commitment term moves only the encoder; taming-transformers' "
            "`legacy=True` default puts β on the codebook term instead.",
            choices=(
                r"The commitment term $\lVert z_e - \mathrm{sg}[e] \rVert^2$; it moves only the encoder",
                r"The codebook term $\lVert \mathrm{sg}[z_e] - e \rVert^2$; it moves only the codebook",
                "The commitment term; it moves the encoder and the codebook alike",
                "The reconstruction term; it moves only the decoder",
            ),
        ),
        Question(
            "Codebook perplexity computed on single images (or one small batch) against over the whole test split: "
            "which is larger, and why?",
            3,
            "Section 3.5 asserts the split's perplexity is well above the per-image one: each image uses few codes, "
            "and how many codes the model uses shows only over all the data.",
            choices=(
                "The single image's: fewer positions make the code frequencies more even",
                "Neither: perplexity is an average, so both estimate the same number",
                "The single image's: rare codes lower the whole split's entropy",
                "The whole split's: each image uses only a few codes, the split uses many",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 4. The codebook lab
    "ch4": [
        Question(
            "A 512-code book is initialised uniformly in $[-1/K, 1/K]$. Why are most of its codes dead from the "
            "first step?",
            1,
            "Section 4.1: the encoder outputs are about a hundred times larger than the codes, so only the few codes "
            "facing the data win, and only winners get the codebook term's gradient.",
            choices=(
                "The learning rate is too small for 512 codes to move",
                "The codes sit in a tiny ball near the origin; only the few facing the encoder outputs ever win",
                "The commitment term pushes the encoder outputs away from unused codes",
                "Uniform initialisation makes several codes identical, so ties go to the first",
            ),
        ),
        Question(
            "With EMA codebook updates (decay 0.99, Laplace smoothing with ε = 10⁻⁵), what happens to a code that is never chosen, starting from a count of 1?",
            2,
            "It receives no vectors, so nothing pulls it to the data; once its count decays to about ε (about 1,150 "
            "steps) it slides to the origin, as section 4.2 measures for a code at (3, 3).",
            choices=(
                "EMA moves it towards the mean of all encoder outputs, reviving it",
                "It keeps its place for ever, since its count and sum decay alike",
                "It receives nothing, stays unused, and after about 1,150 steps slides towards the origin",
                "It is restarted on a random encoder output",
            ),
        ),
        Question(
            "Dead-code restarts whose usage average starts at the threshold, with no grace period, are applied to "
            "the collapsed initialisation. What happens at the first training step?",
            0,
            "Section 4.4: every code not chosen by the first batch falls below the threshold and moves onto data "
            "(more than half of 512), so the first round of restarts is a data initialisation.",
            choices=(
                "Every code the first batch did not choose is moved onto data: in effect a data initialisation",
                "Nothing: restarts only act after a code has been unused for many steps",
                "Only the single least-used code is restarted",
                "All codes are reset to the origin",
            ),
        ),
        Question(
            "Which are `vector-quantize-pytorch` 1.32.0's defaults, as chapter 4 reads them from the library?",
            3,
            "Section 4.9 asserts decay 0.8, commitment weight 1.0 and the rotation trick; the paper uses 0.99, "
            "β = 0.25 and the straight-through estimator, so the chapter sets them explicitly.",
            choices=(
                "EMA decay 0.99, commitment weight 0.25, straight-through estimator",
                "No EMA, commitment weight 0.25, rotation trick",
                "EMA decay 0.99, commitment weight 1.0, straight-through estimator",
                "EMA decay 0.8, commitment weight 1.0, rotation trick",
            ),
        ),
        Question(
            "FSQ with levels (8, 6, 5) rounds each of three channels to that many integers. "
            "How many codes does its implicit codebook hold?",
            240,
            r"The implicit codebook is every combination of the levels: $8 \times 6 \times 5 = 240$ grid points, "
            "all reachable by construction (section 4.6).",
        ),
    ],
    # ------------------------------------------------------------------ 5. VQGAN
    "ch5": [
        Question(
            r"A PatchGAN with `n_layers=1` has 4×4 convolutions with strides 2, 1 and 1. Walking back from one "
            r"logit with $r \leftarrow r s + (k - s)$, how many pixels wide is the patch it sees?",
            16,
            r"From the last layer back: $1 \to 4 \to 7 \to 7 \cdot 2 + 2 = 16$ (exercise 5.3; "
            "the chapter's `n_layers=2` sees 34).",
        ),
        Question(
            "A one-pixel line sits at one of four neighbouring positions with equal chance. L2 asks for the mean "
            "image; what does L1's optimum, the per-pixel median, look like?",
            2,
            "Each pixel is on with chance 1/4, so its median is 0: section 5.1 asserts that the per-pixel median "
            "erases the uncertain line.",
            choices=(
                "A faint line spread over the four positions",
                "A sharp line at one of the four positions",
                "No line at all",
                "The same as the mean",
            ),
        ),
        Question(
            "VQGAN's adaptive weight is $\\lambda = \\lVert \\nabla_{G_L} \\mathcal L_\\text{rec} \\rVert / "
            "(\\lVert \\nabla_{G_L} \\mathcal L_\\text{GAN} \\rVert + 10^{-4})$. If the adversarial loss is "
            "multiplied by 100, what happens to the weighted adversarial gradient at the decoder's last layer?",
            1,
            "λ shrinks a hundredfold, so the weighted adversarial gradient still matches the reconstruction "
            "gradient's norm; section 5.4 checks it at scales 1 and 100.",
            choices=(
                "It becomes 100 times larger",
                "It stays the same size as the reconstruction gradient",
                "It becomes 100 times smaller",
                "It becomes zero, because λ is clamped",
            ),
        ),
        Question(
            "Chapter 5 branches one run at `disc_start`: a critic trained from step 1 against a fresh one "
            "(the reference schedule). What did it show?",
            0,
            "Section 5.5 asserts the warmed-up critic's real-minus-fake gap and the fresh one's near-zero gap, and "
            "that neither branch lost 6 dB; which dips more varies, so gentleness is not claimed.",
            choices=(
                "Only the warmed-up critic tells originals from reconstructions at the switch; which branch loses "
                "more PSNR changes from seed to seed",
                "Warming the critic up makes the switch gentler at every seed",
                "The fresh critic wrecks the reconstructions, costing more than 6 dB",
                "Both critics score originals and reconstructions alike at the switch",
            ),
        ),
        Question(
            "The critic has BatchNorm. Why must the discriminator step score real and fake images in separate "
            "forwards rather than one forward over `cat([real, fake])`?",
            3,
            "Section 5.5: trained on mixed-batch statistics, the critic was a different function from the one "
            "that scores the generator's fake-only batch, and an eval-mode check hid it.",
            choices=(
                "One forward uses twice the memory",
                "Concatenation changes the images' value range",
                "The hinge loss needs the two batches' logits in separate tensors",
                "In train mode BatchNorm normalises with the batch it is given, so mixed batches train a different "
                "critic from the one the generator step sees",
            ),
        ),
        Question(
            "VQGAN trains against `shapes_features` and is evaluated with the `shapes_judge`'s Fréchet distance. "
            "Why does chapter 5 still rely on pixel-gradient sharpness?",
            2,
            "Section 5.2 measures linear CKA of about 0.9 between the two networks' pooled features, so the judge's "
            "distance partly grades the loss itself; sharpness uses no network at all.",
            choices=(
                "The Fréchet distance cannot be computed on 32×32 images",
                "Sharpness is what LPIPS measures",
                "The judge is trained the same way on the same world, so its Fréchet distance is a correlated proxy",
                "The judge network was trained on the test split",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 6. Fusion strategies
    "ch6": [
        Question(
            "Late fusion (mean of logits, or a product of experts) is trained with cross-entropy on the synergistic "
            "caption-matching task. About what test accuracy does it reach?",
            0,
            "Section 6.5 asserts that both live variants stay at chance, and so does the converged mean-of-logits model: with each modality alone saying "
            "nothing, the best additive model predicts 1/2 everywhere.",
            choices=(
                "About chance, 50%, however long it trains",
                "About 75%, the most an additive score can get",
                "Above 95%, given enough training",
                "About the same as tensor fusion",
            ),
        ),
        Question(
            "Two bits, $x$ from the image and $y$ from the text, label 1 when they agree, four equally likely cases. "
            "At most how many of the four cases can an additive score $f(x) + g(y)$ with a threshold get right?",
            3,
            "All four would need contradictory inequalities; the score -x - y with threshold -0.5 gets three "
            "(exercise 6.3, and the cell of section 6.5).",
        ),
        Question(
            "Tensor fusion takes the outer product $[v_1; 1] \\otimes [v_2; 1]$. For two 32-dimensional vectors, "
            "how many numbers enter the linear layer after it?",
            1089,
            r"Each vector gains a 1, so $(32 + 1)(32 + 1) = 1089$ inputs; a third 32-dimensional modality would "
            "multiply that by 33 (section 6.3).",
        ),
        Question(
            "In this course's terms, two per-modality encoders whose output vectors are concatenated and fed to one "
            "shared head perform which kind of fusion?",
            2,
            "Section 6.1: intermediate fusion meets as per-modality vectors before a shared head; MultiBench calls "
            "the same thing late fusion, so state your terms.",
            choices=(
                "Early fusion",
                "Late (decision-level) fusion",
                "Intermediate fusion",
                "Attention-based fusion",
            ),
        ),
        Question(
            "Concatenation trained on image and text loses accuracy when one modality is zeroed at test time. "
            "What does per-sample modality dropout (p = 0.5) change?",
            1,
            "Section 6.6 asserts at least 0.88 in every missing-modality case with dropout; training already "
            "showed it samples with one input.",
            choices=(
                "Nothing: a model trained on both inputs copes with one missing anyway",
                "Every case with one modality missing stays near 0.9 or above",
                "It raises the accuracy with both inputs well above the plain model's",
                "It lets FiLM and cross-attention run without the image",
            ),
        ),
        Question(
            "Nine fusion models are scored. Why does chapter 6 choose the best one on the val split and only "
            "report it on test?",
            3,
            "Each score is the true accuracy plus noise, and the maximum selects that noise; in three of six runs "
            "of section 6.5 another strategy had the largest test score.",
            choices=(
                "The test split is too small to rank nine models",
                "The val split has easier examples",
                "Choosing on test is fine as long as the test split is large",
                "The largest of several noisy test scores overstates the accuracy of the model it picks",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 7. Attention fusion
    "ch7": [
        Question(
            "Trained to convergence, how does concatenation of summary vectors do on the where-questions "
            "(\"is the red circle left or right of the box ?\")?",
            1,
            "Section 7.4 asserts at most 0.60: the image summary is a mean over patches, taken before the question "
            "is read, so it keeps which objects are present and loses where they are.",
            choices=(
                "About 0.98, like FiLM and attention",
                "About a coin flip, like the words alone",
                "About 0.75: right on one-object questions, wrong on two-object ones",
                "Perfect, given enough steps",
            ),
        ),
        Question(
            "A two-hop question in the multimodal transformer is 1 [CLS] token, 64 image patches and 14 word tokens. "
            "How many entries does one head's attention matrix have in each layer?",
            6241,
            r"Every token attends to every token: $(1 + 64 + 14)^2 = 79^2 = 6241$, the quadratic cost of "
            "section 7.6.",
        ),
        Question(
            r"With uncertainty weighting, $\mathcal L = \sum_t e^{-s_t}\mathcal L_t + \tfrac12 s_t$. "
            r"For a task whose loss is held at $\mathcal L_t = 0.25$, what weight $e^{-s_t}$ does the best $s_t$ give?",
            2,
            r"Setting the derivative to zero gives $e^{-s_t} \mathcal L_t = \tfrac12$, so the weight is "
            r"$1/(2 \cdot 0.25) = 2$ (section 7.8).",
        ),
        Question(
            "In section 7.8, what did uncertainty weighting do to the shared model's where-questions at convergence?",
            0,
            "The counting loss fell to almost 0 and its weight rose to about 1,600, while the where-loss stayed at "
            "ln 2: the weighting spent the trunk on the task that needed it least.",
            choices=(
                "They stayed near the words-alone plateau (about 0.5), since the nearly solved counting task got "
                "the largest weight",
                "It closed the negative-transfer gap of fixed weights",
                "Nothing: learned weights matched the fixed weights 1, 1, 1",
                "It improved the where-questions but hurt counting",
            ),
        ),
        Question(
            "Colour words are replaced by synonyms never seen in training (\"crimson\"). What did section 7.7 measure "
            "for the from-scratch GRU and the frozen MiniLM (chance 1/6)?",
            3,
            "The GRU sees `<unk>` where the colour was and can only guess; MiniLM reads about 0.4, because its own "
            "vectors put most synonyms nearest another colour word.",
            choices=(
                "Both read almost all of them",
                "The GRU reads more, because it was trained on the task",
                "MiniLM reads almost all of them, the GRU none",
                "The GRU is at guessing level; frozen MiniLM reads about 0.4 of them",
            ),
        ),
        Question(
            "`vqa_seen` never trained on \"what colour is the shape nearest to the red circle ?\". "
            "How did it answer these questions?",
            1,
            "Section 7.9 asserts at most 0.05 exact match but at least 0.65 naming the right object in the form of "
            "a nearest-answer; `vqa_all`, taught the kind, answers above 0.95.",
            choices=(
                "With the right colour, one word, most of the time",
                "Almost never word for word; mostly with the right object as colour + shape",
                "With random words, since the question is new",
                "With the colour of the red circle itself",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 8. Contrastive alignment
    "ch8": [
        Question(
            "Symmetric InfoNCE on a batch of B = 128 pairs, for a model that knows nothing (all logits equal). "
            "What is the loss in nats? (two decimals)",
            4.85,
            r"Each row and column is a uniform guess among 128 candidates, so the loss is $\ln 128 \approx 4.85$; "
            "section 8.2 asserts it equals ln B.",
            tolerance=0.01,
        ),
        Question(
            "Where does CLIP-style InfoNCE get its negatives from?",
            2,
            "Section 8.2 builds the loss from `cross_entropy(logits, arange(B))` in both directions: the target of "
            "row i is i, and the other captions of the batch are the negatives.",
            choices=(
                "From labelled negative pairs collected with the data",
                "From hard negatives mined by a separate classifier",
                "From the other pairs of the batch: row i of the similarity matrix has target i",
                "From random noise vectors added to each batch",
            ),
        ),
        Question(
            "Section 8.8 trains with τ fixed at 1, τ fixed at 0.07, and τ learned from 0.07. What does it show?",
            0,
            "At τ = 1 zero-shot shape stays below 0.4 and retrieval drops; fixed at 0.07 the model retrieves within "
            "0.06 of the learned one (all asserted).",
            choices=(
                "A small τ matters; whether it is learned matters much less",
                "Learning τ is what matters; its starting value does not",
                "τ = 1 works as well, since cosines already lie in [-1, 1]",
                "A smaller τ always hurts, because training becomes unstable",
            ),
        ),
        Question(
            "Why does CLIP use a dual encoder (two towers) rather than a Siamese network to match captions with images?",
            3,
            "Section 8.9: a Siamese network runs two inputs of one kind through one shared network; an image grid "
            "and word ids need different first layers, so each modality gets its own tower.",
            choices=(
                "A Siamese network cannot be trained with InfoNCE",
                "A Siamese network is slower, because it runs the encoder twice",
                "A Siamese network has two towers with separate weights, which overfit",
                "A Siamese network shares one network between inputs of the same kind; an image and a caption "
                "need different input layers",
            ),
        ),
        Question(
            "A Shapes picture is mirrored left to right for augmentation. When does its caption stay true?",
            1,
            "Section 8.10: the shapes are left-right symmetric, so only 'left' and 'right' must swap; with the "
            "caption kept, three in four test captions become false and zero-shot position falls.",
            choices=(
                "Always: every shape is left-right symmetric",
                "Only if the caption swaps \"left\" and \"right\"",
                "Never: a mirrored picture needs a new caption",
                "Only for one-object scenes",
            ),
        ),
        Question(
            "With only 500 training pairs, trained to convergence, which image side retrieves best: the frozen "
            "VQGAN encoder, the same encoder fine-tuned, or it trained from scratch?",
            2,
            "Section 8.10 asserts scratch ahead of fine-tuned by at least 0.08 at 500 pairs, and the frozen side "
            "last at every size: fine-tuning overfits at once.",
            choices=(
                "The frozen VQGAN encoder: pretraining matters most when pairs are few",
                "The fine-tuned encoder",
                "The encoder trained from scratch",
                "All three about equally",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 9. Text to image
    "ch9": [
        Question(
            "The prior's sequence is a caption padded to 16 tokens, one `<image>` token, then the 8×8 code map. "
            "How many tokens long is it?",
            81,
            "16 caption positions + 1 `<image>` + 64 codes = 81; padding gives every code a fixed position "
            "(section 9.2).",
        ),
        Question(
            "How does chapter 9's prior get the unconditional predictions that classifier-free guidance needs?",
            2,
            "Section 9.5: the prior saw 20% of its captions replaced by `<null>`, so one network gives both the "
            "conditional and the unconditional predictions.",
            choices=(
                "A separately trained image classifier",
                "From a second prior, trained without captions",
                "One prior trained with its caption randomly replaced by a `<null>` token",
                "Nothing: any conditional prior can be guided",
            ),
        ),
        Question(
            "At guidance scale $s > 1$, what happens to a code that the caption makes more likely than it is "
            "without the caption?",
            1,
            r"Guidance samples from $p(x \mid \varnothing)^{1-s} p(x \mid \text{caption})^{s}$: a log-linear "
            "extrapolation, not a mixture; s = 1 is the plain conditional model (section 9.5).",
            choices=(
                "Its probability stays between its unconditional and conditional values, as in a mixture",
                "Its probability is multiplied by $(p(x \\mid \\text{caption}) / p(x \\mid \\varnothing))^{s-1}$ "
                "before renormalising, so it gains more than the caption alone gives it",
                "It is kept only if it is the single most likely code",
                "Nothing: guidance only rescales the temperature",
            ),
        ),
        Question(
            "How are the VQGAN and the GPT prior of chapter 9 trained?",
            3,
            "Like taming transformers and DALL-E, chapter 9 loads a shipped, frozen VQGAN, encodes every image to "
            "codes once, and trains only the prior on them.",
            choices=(
                "Together, end to end, so that the codes suit the prior",
                "The prior first, then the VQGAN to decode its samples",
                "Alternately, one step each",
                "In two stages: the VQGAN first, then, with it frozen, the prior over its codes",
            ),
        ),
        Question(
            "Why does chapter 9's prior write the codes of a 512-code VQGAN rather than chapter 5's 128-code one?",
            0,
            "Section 9.1 measured that the 128-code VQGANs changed the outline of about one small object in four; "
            "no prior can draw what its tokenizer cannot reconstruct.",
            choices=(
                "Through 128 codes many small objects come back with the wrong shape, which caps what a prior can draw",
                "A larger codebook makes the prior faster to train",
                "The 128-code VQGAN loses colour, which the judge reads first",
                "The GPT-2 configuration needs a vocabulary of at least 512",
            ),
        ),
        Question(
            "Asked 48 times for \"a small red circle\", a caption without a position, where does the prior put "
            "the circles?",
            2,
            "Section 9.5 asserts at least 90% in one cell, even without guidance: every training caption names a "
            "position, so the prior never learned to leave it open.",
            choices=(
                "Spread evenly over the nine cells",
                "Spread without guidance, in one cell with guidance",
                "Nearly all in one default cell",
                "Nowhere: it refuses a caption without a position",
            ),
        ),
    ],
    # ------------------------------------------------------------------ 10. Sound and motion
    "ch10": [
        Question(
            "An STFT window of 256 samples gives a magnitude spectrum of a real signal. How many frequency bins "
            "does it have, from 0 Hz to half the sample rate?",
            129,
            "A real signal's 256-point spectrum has 256/2 + 1 = 129 bins: at 8 kHz they span 0 to 4 kHz "
            "(section 10.1).",
        ),
        Question(
            "The sound tokenizer turns each sound into 12 codes from a codebook of 128. How many bits is one sound?",
            84,
            r"$12 \times \log_2 128 = 12 \times 7 = 84$ bits, four codes per note slot (section 10.2).",
        ),
        Question(
            "Why does chapter 10 keep a linear-frequency spectrogram rather than a mel spectrogram?",
            1,
            "Section 10.1: Griffin-Lim recovers a waveform from a linear magnitude spectrogram directly; a mel "
            "spectrogram would first need an approximate inverse of the mel filter bank.",
            choices=(
                "The mel scale only suits speech, not notes",
                "A linear magnitude spectrogram turns back into a waveform directly with Griffin-Lim; mel needs a "
                "lossy inverse first",
                "A linear spectrogram has fewer bins at any sample rate",
                "The sound judge can only read linear spectrograms",
            ),
        ),
        Question(
            "A clip classifier fuses its frames by their mean. Why can it not tell an object moving left from one "
            "moving right?",
            3,
            "Section 10.7 asserts the mean gives a clip and its reversal exactly the same answer, so on moving clips "
            "it can at best find the axis and guess the sign.",
            choices=(
                "It is underfit: with more steps it would learn direction",
                "The VQGAN codes do not record where an object is",
                "Direction needs a larger frame encoder",
                "A mean does not change when the frames are reversed, and a reversed left-moving clip moves right",
            ),
        ),
        Question(
            "The shipped image-to-sound translator got the timbre right more often than the caption pipeline. "
            "What does section 10.5 conclude?",
            0,
            "The translator had about three times the steps and twice the scenes, and a smaller run did no better "
            "than the pipeline; but the pipeline plays one note whatever the scene holds.",
            choices=(
                "Not that words are the weaker route: the gap is bought partly with training; the pipeline cannot "
                "play more than one note",
                "A route through words is weaker at any training budget",
                "The pipeline is better on timbre once trained longer",
                "Both fail on pitch, which only the true caption gives",
            ),
        ),
        Question(
            "The shipped clip captioner tells a colour change from no change almost always; the converged clip "
            "classifier, on the same clips and codes, about five times in six. What does section 10.8 conclude?",
            2,
            "Supervision (naming the colours), readout (cross-attention to every frame) and size (about 1.8 times "
            "the weights) all differ, and exercise 10.6 separates the first two.",
            choices=(
                "Cross-attention over the frames is the cause",
                "More training would close the classifier's gap",
                "Three things differ between the models, and the chapter does not separate them",
                "Colour changes are invisible in the VQGAN codes",
            ),
        ),
    ],
}
